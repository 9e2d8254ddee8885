"""Error pages in Vietnamese, as whole pages or as fragments for htmx."""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from portal.htmx import is_htmx, vary_on_htmx

MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Yêu cầu gửi lên không hợp lệ. Vui lòng tải lại trang và thử lại."),
    403: ("Không có quyền truy cập", "Bạn không có quyền thực hiện thao tác này."),
    404: ("Không tìm thấy", "Trang hoặc nội dung bạn tìm không tồn tại."),
    405: ("Phương thức không được phép", "Thao tác này không thực hiện được theo cách đó."),
    409: ("Xung đột dữ liệu", "Thao tác trùng với một thao tác khác. Vui lòng tải lại trang."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá dung lượng cho phép."),
    429: ("Quá nhiều yêu cầu", "Bạn thao tác quá nhanh. Vui lòng đợi một lát rồi thử lại."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra. Ban Tổ chức đã được ghi nhận; vui lòng thử lại sau."),
}


def render_error(status: int, message: str | None = None):
    title, default = MESSAGES.get(status, MESSAGES[500])
    template = "_error.html" if is_htmx() else "error.html"
    response = render_template(template, status=status, title=title, message=message or default)
    return vary_on_htmx(Flask.response_class(response, status=status))


class Refusal(Exception):
    """A request refused for a reason the contestant or moderator should read."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def refuse(status: int, message: str):
    raise Refusal(status, message)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (CSRF). "
                                 "Vui lòng tải lại trang rồi gửi lại.")

    @app.errorhandler(Refusal)
    def refusal(error):
        return render_error(error.status, error.message)

    for status in MESSAGES:
        app.register_error_handler(status, lambda error, status=status: render_error(status))
