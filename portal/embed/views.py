"""The embeddable banner for other government websites."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("embed", __name__)
