"""Forms of the "Mã nhúng" page."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional, Regexp

from portal.attribution import SITE_KEY_RE
from portal.embed.banner import DEFAULT_SIZE, DEFAULT_THEME, SIZE_LABELS, THEMES


def _clean_key(value: str | None) -> str:
    return (value or "").strip().lower()


class EmbedOptionsForm(FlaskForm):
    """The snippet's options. A GET form: it only changes what is previewed, so it needs no
    CSRF token and its URL can be shared between moderators."""

    class Meta:
        csrf = False

    size = SelectField("Kích thước", choices=[SelectChoice(k, v) for k, v in SIZE_LABELS.items()], default=DEFAULT_SIZE)
    theme = SelectField("Màu", choices=[SelectChoice(k, v) for k, v in THEMES.items()], default=DEFAULT_THEME)
    # Not "src": the portal reads ?src= on every GET page as an embedding site's visit.
    site = StringField("Mã trang nhúng", filters=[_clean_key], validators=[
        Optional(), Regexp(SITE_KEY_RE, message="Mã trang chỉ gồm chữ thường không dấu, số, "
                                                "dấu - và _ (ví dụ: so-noi-vu), tối đa 64 ký tự.")])


class EmbedOriginsForm(FlaskForm):
    origins = TextAreaField("Nguồn được phép nhúng (mỗi dòng một nguồn)",
                            validators=[Length(max=20_000, message="Danh sách quá dài.")])
