"""Forms of the moderators' view."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class StaffLoginForm(FlaskForm):
    username = StringField("Tên đăng nhập", validators=[DataRequired("Nhập tên đăng nhập."), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired("Nhập mật khẩu."), Length(max=200)])


class EmptyForm(FlaskForm):
    """A POST-only button: carries the CSRF token and nothing else."""
