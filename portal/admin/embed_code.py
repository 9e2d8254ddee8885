"""The admin "Mã nhúng" page: choose size and theme, preview, copy the snippet."""
