"""Contestants' forms. Field names are a stable interface (DESIGN.md §4)."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from portal.phone import normalize_phone

CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*$")

CONSENT_VERSION = "2026-12-v1"


def nfc(value):
    return unicodedata.normalize("NFC", " ".join(value.split())) if isinstance(value, str) else value


class PhoneMixin:
    def validate_phone(self, field):
        normalized = normalize_phone(field.data)
        if normalized is None:
            raise ValidationError(_("Số điện thoại di động không hợp lệ. Nhập dạng 0912345678 hoặc +84912345678."))
        field.data = normalized


class RegisterForm(PhoneMixin, FlaskForm):
    full_name = StringField(_l("Họ và tên"), filters=[nfc], validators=[
        DataRequired(_l("Nhập họ và tên.")), Length(min=2, max=120, message=_l("Họ và tên từ 2 đến 120 ký tự."))])
    phone = StringField(_l("Số điện thoại di động"), validators=[DataRequired(_l("Nhập số điện thoại.")), Length(max=20)])
    password = PasswordField(_l("Mật khẩu"), validators=[
        DataRequired(_l("Nhập mật khẩu.")), Length(min=8, max=128, message=_l("Mật khẩu từ 8 đến 128 ký tự."))])
    password2 = PasswordField(_l("Nhập lại mật khẩu"), validators=[
        DataRequired(_l("Nhập lại mật khẩu.")), EqualTo("password", _l("Hai lần nhập mật khẩu không khớp."))])
    birth_year = IntegerField(_l("Năm sinh"), validators=[InputRequired(_l("Nhập năm sinh (4 chữ số)."))])
    block = SelectField(_l("Khối"), choices=[], validate_choice=False, validators=[Optional()])
    unit_id = SelectField(_l("Đơn vị"), coerce=int, choices=[], validate_choice=False,
                          validators=[InputRequired(_l("Chọn đơn vị của bạn."))])
    id_number = StringField(_l("Số căn cước công dân (12 chữ số)"), validators=[Optional(), Length(max=12)])
    email = EmailField(_l("Thư điện tử"), validators=[Optional(), Email(_l("Địa chỉ thư điện tử không hợp lệ.")), Length(max=254)])
    consent = BooleanField(_l("Tôi đồng ý để Ban Tổ chức xử lý các thông tin trên cho việc tổ chức cuộc thi và trao giải."),
                           validators=[DataRequired(_l("Cần đồng ý để tham gia cuộc thi."))])
    public_consent = BooleanField(_l("Tôi đồng ý hiển thị họ tên và đơn vị của tôi trên bảng xếp hạng công khai (không bắt buộc)."))
    guardian = BooleanField(_l("Tôi là cha, mẹ hoặc người giám hộ và đồng ý cho người dưới 16 tuổi này tham gia."))

    def __init__(self, *args, contest=None, this_year=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.contest, self.this_year = contest, this_year

    def validate_full_name(self, field):
        if CONTROL_RE.search(field.data or "") or not NAME_RE.match(field.data or ""):
            raise ValidationError(_("Họ và tên chỉ gồm chữ cái (có dấu), dấu cách, dấu gạch nối."))

    def validate_birth_year(self, field):
        low = self.contest.min_birth_year if self.contest else 1900
        high = (self.this_year or 2100) - 6
        if field.data is None or not low <= field.data <= high:
            raise ValidationError(_("Năm sinh phải từ %(low)s đến %(high)s.", low=low, high=high))

    def validate_id_number(self, field):
        if self.contest is not None and self.contest.ask_id_number:
            if not field.data or not re.fullmatch(r"\d{12}", field.data.strip()):
                raise ValidationError(_("Số căn cước công dân gồm đúng 12 chữ số."))
            field.data = field.data.strip()
        else:
            field.data = None

    def validate_email(self, field):
        if self.contest is None or not self.contest.ask_email:
            field.data = None

    def validate_guardian(self, field):
        if self.birth_year.data and self.this_year and self.this_year - self.birth_year.data < 16 and not field.data:
            raise ValidationError(_("Người dưới 16 tuổi cần cha, mẹ hoặc người giám hộ xác nhận đồng ý."))


class LoginForm(PhoneMixin, FlaskForm):
    phone = StringField(_l("Số điện thoại di động"), validators=[DataRequired(_l("Nhập số điện thoại.")), Length(max=20)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Nhập mật khẩu.")), Length(max=128)])


CHOICE_MAX_LENGTH = 20  # the answer form's choice field; portal/answer_saving.py reads it too


class AnswerForm(FlaskForm):
    choice = StringField(validators=[Optional(), Length(max=CHOICE_MAX_LENGTH)])


class PredictionForm(FlaskForm):
    prediction = StringField(_l("Dự đoán của bạn"), validators=[Optional(), Length(max=20)])


class EmptyForm(FlaskForm):
    """A POST-only button: carries the CSRF token."""

