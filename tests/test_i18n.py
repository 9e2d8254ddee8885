"""Languages: Vietnamese by default and complete; English by a switch (the footer's GET
form; a POST needs CSRF) that is remembered; dates, times and money keep their Vietnamese
formats."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

from tests import quiz_helpers as qh
from tests.conftest import csrf_token
from tests.factories import make_contest, make_questions

PO = Path(__file__).resolve().parent.parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def switch(client, lang: str, next_path: str = "/"):
    """As the footer's form does it."""
    return client.get("/lang", query_string={"lang": lang, "next": next_path})


def test_vietnamese_is_the_default(client, ctx, clock):
    make_contest()
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html and "Thể lệ tóm tắt" in html and "Đăng ký dự thi" in html


def test_english_by_the_switch_and_remembered(client, ctx, clock):
    make_contest()
    response = switch(client, "en", "/rules")
    assert response.status_code == 303 and response.headers["Location"].endswith("/rules")
    assert "lang=en" in response.headers["Set-Cookie"]
    home = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in home
    assert "The rules in short" in home and "Register to take part" in home
    # Formats stay Vietnamese: dd/mm/yyyy, 24-hour clock, money with dots and đ.
    assert "08:00, Monday 03/07/2023" in home
    assert "3.000.000 đ" in client.get("/rules").get_data(as_text=True)
    switch(client, "vi")
    assert "Thể lệ tóm tắt" in client.get("/").get_data(as_text=True)


def test_the_footer_switch_is_a_get_form_on_every_page(client, ctx, clock):
    make_contest()
    for path in ("/", "/rules", "/login", "/rounds/1/leaderboard"):
        html = client.get(path).get_data(as_text=True)
        form = re.search(r'<form class="lang-switch" method="(\w+)" action="/lang">(.*?)</form>', html, re.S)
        assert form and form.group(1) == "get", path
        assert "csrf_token" not in form.group(2) and f'name="next" value="{path}' in form.group(2)
    response = switch(client, "en", "/rules")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_posted_switch_needs_csrf(client, ctx, clock):
    make_contest()
    assert client.post("/lang", data={"lang": "en"}).status_code == 400
    posted = client.post("/lang", data={"lang": "en", "next": "/rules", "csrf_token": csrf_token(client, "/login")})
    assert posted.status_code == 303 and "lang=en" in posted.headers["Set-Cookie"]


def test_the_switch_ignores_unknown_languages_and_foreign_targets(client, ctx, clock):
    make_contest()
    response = switch(client, "fr")
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]
    assert switch(client, "en", "https://evil.example/").headers["Location"] == "/"


def test_quiz_refusals_and_forms_in_english(client, ctx, clock):
    contest = make_contest()
    make_questions(contest, per_round=12)
    switch(client, "en")
    bad = qh.register(client, contest.blocks[0].units[0].id, phone="123")
    assert "Not a valid mobile number" in bad.get_data(as_text=True)
    qh.register(client, contest.blocks[0].units[0].id)
    attempt_id = qh.attempt_id_of(qh.start(client))
    page = client.get(f"/quiz/{attempt_id}/q/1").get_data(as_text=True)
    assert "Question 1/10" in page and "Save and next" in page
    qh.submit(client, attempt_id)
    refused = qh.start(client).get_data(as_text=True)
    assert "You have used your 1 attempt(s) for today" in refused and "00:00 on 06/07/2023" in refused


def test_every_message_has_an_english_translation():
    with PO.open("rb") as source:
        catalog = read_po(source)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    for message in catalog:
        if message.id:
            assert set(re.findall(r"%\((\w+)\)s", message.id)) == set(re.findall(r"%\((\w+)\)s", message.string)), message.id
