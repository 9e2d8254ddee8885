"""Driving the contestant journey through the test client, with CSRF on."""
from __future__ import annotations

import re

from tests.conftest import csrf_token

ATTEMPT_RE = re.compile(r"/quiz/(\d+)")
CHOICE_RE = re.compile(r'name="choice" value="(\d+)"')


def register(client, unit_id: int, phone: str = "0912345678", name: str = "Nguyễn Thị Hà",
             birth_year: int = 1990, **extra):
    data = {"full_name": name, "phone": phone, "password": "mat-khau-1", "password2": "mat-khau-1",
            "birth_year": str(birth_year), "unit_id": str(unit_id), "consent": "y",
            "csrf_token": csrf_token(client, "/register"), **extra}
    return client.post("/register", data=data)


def login(client, phone: str = "0912345678", password: str = "mat-khau-1"):
    return client.post("/login", data={"phone": phone, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


def start(client, **headers):
    return client.post("/quiz/start", data={"csrf_token": csrf_token(client, "/quiz")}, headers=headers)


def attempt_id_of(response) -> int:
    match = ATTEMPT_RE.search(response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def choices_on(html: str) -> list[int]:
    return [int(c) for c in CHOICE_RE.findall(html)]


def answer(client, attempt_id: int, position: int, choice, headers=None, token=None):
    token = token or csrf_token(client, "/")
    return client.post(f"/quiz/{attempt_id}/q/{position}", data={"choice": str(choice), "csrf_token": token},
                       headers=headers or {})


def submit(client, attempt_id: int, token=None):
    token = token or csrf_token(client, "/")
    return client.post(f"/quiz/{attempt_id}/submit", data={"csrf_token": token})
