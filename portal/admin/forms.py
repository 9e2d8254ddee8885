"""Forms of the moderators' view. Messages are Vietnamese, including those WTForms would
give in English for a number or a date it cannot read."""
from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, DateField, DateTimeLocalField, FieldList, Form, FormField,
                     HiddenField, IntegerField, PasswordField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import NumberInput

from portal.contest_file import RANGES
from portal.moderation import STATUS_LABELS

REQUIRED = "Không được để trống."


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs or a {value: label} dict."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class NumberField(IntegerField):
    """An integer field whose unreadable input gets a Vietnamese message."""

    widget = NumberInput()

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Nhập một số nguyên.") from exc


class LocalDateTimeField(DateTimeLocalField):
    """A wall-clock time in the contest's zone, typed in the browser's date-time picker."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Nhập ngày giờ dạng 03/07/2023 08:00.") from exc


class LocalDateField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("Nhập ngày dạng 03/07/2023.") from exc


def _range(key: str) -> NumberRange:
    low, high = RANGES[key]
    return NumberRange(low, high, message=f"Phải trong khoảng {low}–{high}.")


class StaffLoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Nhập tên đăng nhập."), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Nhập mật khẩu."), Length(max=200)])


class EmptyForm(FlaskForm):
    """A POST-only button: carries the CSRF token and nothing else."""


# --- contest settings -------------------------------------------------------------------

PREDICTION_LABELS = {
    "people": "Số người tham gia tuần thi",
    "attempts": "Số lượt thi của tuần",
    "none": "Không có câu hỏi dự đoán",
}
COLLECTIVE_LABELS = {
    "participants": "Số người tham gia của đơn vị",
    "rate": "Tỷ lệ người tham gia trên tổng số người của đơn vị",
}
TIEBREAK_LABELS = {"score": "số câu đúng", "duration": "thời gian làm bài", "prediction": "dự đoán"}
TIEBREAK_ORDERS = ["score,duration,prediction", "score,prediction,duration", "score,duration",
                   "score,prediction", "score"]


def tiebreak_label(order: str) -> str:
    return " → ".join(TIEBREAK_LABELS[k] for k in order.split(","))


class SettingsForm(FlaskForm):
    title = StringField("Tên cuộc thi", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=300)])
    organizer = StringField("Đơn vị tổ chức", filters=[_strip], validators=[Length(max=300)])
    summary = TextAreaField("Giới thiệu ngắn", filters=[_strip], validators=[Length(max=5000)])
    timezone = StringField("Múi giờ", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=64)])
    questions_per_attempt = NumberField("Số câu hỏi mỗi lượt thi", validators=[InputRequired(REQUIRED), _range("questions_per_attempt")])
    choices_per_question = NumberField("Số phương án mỗi câu", validators=[InputRequired(REQUIRED), _range("choices_per_question")])
    time_limit_seconds = NumberField("Thời gian làm bài (giây)", validators=[InputRequired(REQUIRED), _range("time_limit_seconds")])
    grace_seconds = NumberField("Thời gian bù đường truyền (giây)", validators=[InputRequired(REQUIRED), _range("grace_seconds")])
    attempts_per_day = NumberField("Số lượt thi mỗi ngày", validators=[InputRequired(REQUIRED), _range("attempts_per_day")])
    prediction = SelectField("Câu hỏi dự đoán", choices=options(PREDICTION_LABELS))
    prediction_max = NumberField("Giá trị dự đoán lớn nhất", validators=[InputRequired(REQUIRED), _range("prediction_max")])
    tiebreak = SelectField("Thứ tự xếp hạng", choices=options((o, tiebreak_label(o)) for o in TIEBREAK_ORDERS))
    collective_criterion = SelectField("Xếp hạng tập thể theo", choices=options(COLLECTIVE_LABELS))
    retention_days = NumberField("Lưu dữ liệu cá nhân (ngày sau cuộc thi)", validators=[InputRequired(REQUIRED), _range("retention_days")])
    shuffle_choices = BooleanField("Đảo thứ tự phương án cho mỗi thí sinh")
    prizes_in_several_rounds = BooleanField("Một thí sinh được nhận giải ở nhiều tuần")
    publish_answer_key = BooleanField("Công bố đáp án sau khi chốt kết quả tuần")
    ask_id_number = BooleanField("Hỏi số CCCD khi đăng ký")
    ask_email = BooleanField("Hỏi email khi đăng ký")


class RulesForm(FlaskForm):
    rules_html = TextAreaField("Nội dung thể lệ", validators=[Length(max=200_000, message="Nội dung quá dài.")])


class AnnouncementForm(FlaskForm):
    title = StringField("Tiêu đề", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=300)])
    body_html = TextAreaField("Nội dung", validators=[Length(max=100_000, message="Nội dung quá dài.")])
    pinned = BooleanField("Ghim lên đầu")
    published = BooleanField("Đăng công khai")


class RoundForm(FlaskForm):
    title = StringField("Tên tuần thi", filters=[_strip], validators=[Length(max=300)])
    opens_at = LocalDateTimeField("Mở lúc", validators=[InputRequired(REQUIRED)])
    closes_at = LocalDateTimeField("Đóng lúc", validators=[InputRequired(REQUIRED)])


class TierForm(Form):
    """One prize tier; a row left blank is dropped."""

    name = StringField("Tên giải", filters=[_strip], validators=[Length(max=120)])
    count = NumberField("Số giải", validators=[Optional(), NumberRange(1, 10_000, "Từ 1 đến 10.000.")])
    amount = NumberField("Tiền thưởng (đồng)", validators=[Optional(), NumberRange(0, 10**12, "Không được âm.")])


class PrizesForm(FlaskForm):
    individual = FieldList(FormField(TierForm), min_entries=1)
    collective = FieldList(FormField(TierForm), min_entries=1)


# --- question bank ---------------------------------------------------------------------

class QuestionFilterForm(FlaskForm):
    """The bank's search box and filters: a GET form, so its URL can be shared."""

    class Meta:
        csrf = False

    q = StringField("Tìm trong câu hỏi", filters=[_strip], validators=[Length(max=200)])
    round = SelectField("Tuần", coerce=str, default="")
    state = SelectField("Trạng thái", choices=options([("", "Tất cả"), ("active", "Đang dùng"), ("inactive", "Đã tắt")]),
                        default="")


def question_form_class(letters: str) -> type[FlaskForm]:
    """A question form with one field per choice letter of the contest."""

    class QuestionForm(FlaskForm):
        round = SelectField("Tuần thi", coerce=int)
        text = TextAreaField("Câu hỏi", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=1000)])
        answer = RadioField("Đáp án đúng", choices=options((letter, letter) for letter in letters),
                            validators=[InputRequired("Chọn đáp án đúng.")])
        explanation = TextAreaField("Giải thích (tùy chọn)", filters=[_strip], validators=[Length(max=2000)])
        source = StringField("Nguồn / văn bản (tùy chọn)", filters=[_strip], validators=[Length(max=2000)])
        active = BooleanField("Đang dùng (được rút vào lượt thi)", default=True)

        def validate(self, extra_validators=None):
            ok = super().validate(extra_validators)
            texts = [(self[f"choice_{letter}"].data or "").casefold() for letter in letters]
            filled = [t for t in texts if t]
            if len(set(filled)) != len(filled):
                self[f"choice_{letters[0]}"].errors.append("Có hai phương án trùng nhau.")
                ok = False
            return ok

    for letter in letters:
        setattr(QuestionForm, f"choice_{letter}", StringField(
            f"Phương án {letter}", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=400)]))
    return QuestionForm


class UploadForm(FlaskForm):
    file = FileField("Tệp (.xlsx hoặc .csv)", validators=[
        FileRequired("Chọn tệp để tải lên."),
        FileAllowed(["xlsx", "csv"], "Chỉ nhận tệp .xlsx hoặc .csv (UTF-8).")])


class QuestionImportForm(UploadForm):
    round = SelectField("Nhập vào tuần", coerce=str, default="")


class ConfirmUploadForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{20,64}$")])
    digest = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])


# --- contestants -----------------------------------------------------------------------

class ContestantFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Tìm theo tên, số điện thoại hoặc mã", filters=[_strip], validators=[Length(max=120)])
    unit = SelectField("Đơn vị", coerce=str, default="")
    status = SelectField("Trạng thái", choices=options([("", "Tất cả"), *STATUS_LABELS.items()]), default="")


class StatusForm(FlaskForm):
    status = SelectField("Trạng thái", choices=options(STATUS_LABELS))
    reason = StringField("Lý do", filters=[_strip], validators=[Length(max=500)])


class MergeForm(FlaskForm):
    duplicate = StringField("Tài khoản trùng (số điện thoại hoặc mã #)", filters=[_strip],
                            validators=[DataRequired(REQUIRED), Length(max=40)])
    confirm = BooleanField("Tôi đã kiểm tra: đây là cùng một người",
                           validators=[DataRequired("Cần xác nhận trước khi gộp.")])


# --- units -----------------------------------------------------------------------------

class UnitFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Tìm đơn vị", filters=[_strip], validators=[Length(max=120)])
    block = SelectField("Khối", coerce=str, default="")


class UnitForm(FlaskForm):
    name = StringField("Tên đơn vị", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=200)])
    block = SelectField("Khối", coerce=int)
    parent = SelectField("Đơn vị cấp trên", coerce=int)
    headcount = NumberField("Tổng số người của đơn vị", validators=[Optional(), NumberRange(0, 10**9, "Không được âm.")])
    active = BooleanField("Hiện trong danh sách đăng ký", default=True)


class BlockForm(FlaskForm):
    key = StringField("Mã khối", filters=[_strip], validators=[
        DataRequired(REQUIRED), Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", message="Chỉ gồm chữ thường không dấu, số, - và _.")])
    name = StringField("Tên khối", filters=[_strip], validators=[DataRequired(REQUIRED), Length(max=200)])


# --- staff, results, audit -------------------------------------------------------------

ROLE_LABELS = {"moderator": "Ban Tổ chức (quản trị nội dung)", "admin": "Quản trị hệ thống (admin)"}


class StaffCreateForm(FlaskForm):
    username = StringField("Tên đăng nhập", filters=[_strip], validators=[
        DataRequired(REQUIRED), Regexp(r"^[a-z0-9._-]{3,64}$", message="3–64 ký tự: chữ thường không dấu, số, . - _")])
    full_name = StringField("Họ và tên", filters=[_strip], validators=[Length(max=120)])
    role = SelectField("Vai trò", choices=options(ROLE_LABELS))
    password = PasswordField("Mật khẩu", validators=[DataRequired(REQUIRED), Length(10, 200, "Ít nhất 10 ký tự.")])


class StaffEditForm(FlaskForm):
    full_name = StringField("Họ và tên", filters=[_strip], validators=[Length(max=120)])
    role = SelectField("Vai trò", choices=options(ROLE_LABELS))
    active = BooleanField("Đang hoạt động")


class UnfinalizeForm(FlaskForm):
    reason = StringField("Lý do hủy chốt", filters=[_strip], validators=[
        DataRequired(REQUIRED), Length(5, 500, "Ghi rõ lý do (5–500 ký tự).")])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField("Người thực hiện", filters=[_strip], validators=[Length(max=120)])
    action = SelectField("Thao tác", coerce=str, default="")
    target = StringField("Đối tượng (ví dụ contestant:12)", filters=[_strip], validators=[Length(max=110)])
    since = LocalDateField("Từ ngày", validators=[Optional()])
    until = LocalDateField("Đến ngày", validators=[Optional()])


def local_input(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""
