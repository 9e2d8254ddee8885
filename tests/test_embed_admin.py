"""The admin "Mã nhúng" page: snippet, preview, allowed origins (with CSRF on and an audit
trail) and the per-site attribution report."""
from __future__ import annotations

import html as htmllib
import re
from datetime import date

import sqlalchemy as sa

from portal.embed.sites import parse_origins, snippet_html
from portal.extensions import db
from portal.models import AuditEntry, Contest, SiteVisit, Staff
from tests.conftest import csrf_token
from tests.factories import make_contest
from tests.test_embed_banner import add_attempts, frame_ancestors_of


def log_in(client) -> None:
    staff = Staff(username="bantochuc", role="admin")
    staff.set_password("mat-khau-dai-1")
    db.session.add(staff)
    db.session.commit()
    token = csrf_token(client, "/admin/login")
    response = client.post("/admin/login", data={"username": "bantochuc", "password": "mat-khau-dai-1",
                                                 "csrf_token": token})
    assert response.status_code == 302


def snippet_of(page: str) -> str:
    return htmllib.unescape(re.search(r'<textarea id="snippet"[^>]*>(.*?)</textarea>', page, re.S).group(1))


def test_the_page_is_for_staff_only(client, ctx, clock):
    make_contest()
    assert client.get("/admin/embed").status_code == 302
    assert client.post("/admin/embed/origins", data={"origins": "https://a.vn"}).status_code in (400, 403)
    assert db.session.scalar(sa.select(Contest.embed_origins)) == ["https://*.langson.gov.vn", "https://example.org"]


def test_snippet_and_preview_follow_the_chosen_options(client, ctx, clock):
    make_contest()
    log_in(client)
    page = client.get("/admin/embed?size=728x90&theme=red&site=so-noi-vu").get_data(as_text=True)
    snippet = snippet_of(page)
    assert snippet.startswith('<script async src="http://localhost/embed.js" data-size="728x90" '
                              'data-theme="red" data-src="so-noi-vu" data-title="Cuộc thi thử nghiệm"></script>')
    assert '<noscript><a href="http://localhost/?src=so-noi-vu" target="_blank" rel="noopener">' in snippet
    # The preview runs the real loader, without a site key so that it credits no site.
    assert ('<script async src="/embed.js" data-size="728x90" data-theme="red" '
            'data-title="Cuộc thi thử nghiệm"></script>') in page
    assert '<option selected value="728x90">' in page and '<option selected value="red">' in page
    # Looking at the page is not a visit from that site.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SiteVisit)) == 0


def test_defaults_and_a_bad_site_key(client, ctx, clock):
    make_contest()
    log_in(client)
    page = client.get("/admin/embed?site=Sở+Nội+vụ").get_data(as_text=True)
    assert "Mã trang chỉ gồm chữ thường không dấu" in page
    snippet = snippet_of(page)
    assert 'data-size="300x250" data-theme="blue"' in snippet and "data-src" not in snippet
    assert 'aria-invalid="None"' not in page and 'aria-describedby="None"' not in page


def test_snippet_uses_the_public_address_and_escapes_the_title(app, client, ctx, clock):
    contest = make_contest()
    contest.title = 'Cuộc thi "Chuyển đổi số" <2023>'
    db.session.commit()
    app.config["PORTAL_BASE_URL"] = "https://thi.langson.gov.vn/"
    log_in(client)
    snippet = snippet_of(client.get("/admin/embed").get_data(as_text=True))
    assert 'src="https://thi.langson.gov.vn/embed.js"' in snippet
    assert 'data-title="Cuộc thi &#34;Chuyển đổi số&#34; &lt;2023&gt;"' in snippet
    assert "Tham gia Cuộc thi &#34;Chuyển đổi số&#34; &lt;2023&gt;</a>" in snippet


def test_snippet_html_helper():
    text = snippet_html("https://thi.vn/", "responsive", "light", None, "A & B")
    assert text == ('<script async src="https://thi.vn/embed.js" data-size="responsive" data-theme="light" '
                    'data-title="A &amp; B"></script>\n'
                    '<noscript><a href="https://thi.vn/" target="_blank" rel="noopener">Tham gia A &amp; B</a></noscript>')


def test_moderator_edits_the_allowed_origins_with_an_audit_entry(client, ctx, clock):
    make_contest()
    log_in(client)
    page = client.get("/admin/embed?size=320x100").get_data(as_text=True)
    assert "https://*.langson.gov.vn\nhttps://example.org</textarea>" in page
    token = csrf_token(client, "/admin/embed")
    response = client.post("/admin/embed/origins?size=320x100&_external=1&_scheme=javascript", data={
        "csrf_token": token,
        "origins": " https://*.LangSon.gov.vn/ \r\n\r\nhttps://sonoivu.vn\nhttps://sonoivu.vn\nhttp://127.0.0.1:8800"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/embed?size=320x100"
    contest = db.session.scalar(sa.select(Contest))
    db.session.refresh(contest)
    assert contest.embed_origins == ["https://*.langson.gov.vn", "https://sonoivu.vn", "http://127.0.0.1:8800"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "contest.embed_origins"))
    assert entry.actor == "staff:bantochuc" and entry.target_id == str(contest.id)
    assert entry.before == {"embed_origins": ["https://*.langson.gov.vn", "https://example.org"]}
    assert entry.after == {"embed_origins": contest.embed_origins}
    assert "Đã lưu 3 nguồn" in client.get("/admin/embed").get_data(as_text=True)
    # The banner's framing rules follow at once.
    assert frame_ancestors_of(client.get("/embed/banner")) == \
        "'self' https://*.langson.gov.vn https://sonoivu.vn http://127.0.0.1:8800"


def test_bad_origins_are_listed_and_nothing_is_saved(client, ctx, clock):
    make_contest()
    log_in(client)
    token = csrf_token(client, "/admin/embed")
    response = client.post("/admin/embed/origins", data={
        "csrf_token": token,
        "origins": "https://ok.vn\nhttps://sonoivu.vn/gioi-thieu\n*\n<script>alert(1)</script>"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Dòng 2: “https://sonoivu.vn/gioi-thieu” không phải nguồn hợp lệ" in page
    assert "Dòng 3: “*”" in page and "Dòng 4:" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'aria-invalid="true"' in page
    contest = db.session.scalar(sa.select(Contest))
    db.session.refresh(contest)
    assert contest.embed_origins == ["https://*.langson.gov.vn", "https://example.org"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "contest.embed_origins")) == 0


def test_saving_origins_needs_the_csrf_token(client, ctx, clock):
    make_contest()
    log_in(client)
    response = client.post("/admin/embed/origins", data={"origins": "https://evil.vn"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(Contest.embed_origins)) == ["https://*.langson.gov.vn", "https://example.org"]


def test_parse_origins_rules():
    origins, problems = parse_origins("https://a.vn\nHTTP://B.VN:8080/\n\nhttps://*.c.vn\nftp://d.vn\nhttps://a.vn")
    assert origins == ["https://a.vn", "http://b.vn:8080", "https://*.c.vn"]
    assert len(problems) == 1 and problems[0].startswith("Dòng 5:")
    assert parse_origins("") == ([], [])


def test_report_lists_visits_registrations_and_attempts_per_site(client, ctx, clock):
    contest = make_contest()
    db.session.add_all([
        SiteVisit(contest_id=contest.id, site_key="so-noi-vu", day=date(2023, 7, 4), visits=7),
        SiteVisit(contest_id=contest.id, site_key="so-noi-vu", day=date(2023, 7, 5), visits=5),
        SiteVisit(contest_id=contest.id, site_key="ubnd-huu-lung", day=date(2023, 7, 5), visits=3),
    ])
    db.session.commit()
    add_attempts(contest, 1, ["submitted", "in_progress"], source="so-noi-vu")
    add_attempts(contest, 2, ["submitted"], source="so-noi-vu")
    add_attempts(contest, 1, ["submitted"], source="tinh-doan")   # came in without a visit row
    add_attempts(contest, 1, ["submitted"])                       # no site at all
    other = make_contest(slug="cuoc-thi-khac")
    add_attempts(other, 1, ["submitted"], source="so-noi-vu")     # another contest: not counted
    client.application.config["CONTEST_SLUG"] = "thu-nghiem"
    log_in(client)
    page = client.get("/admin/embed").get_data(as_text=True)
    rows = re.findall(r"<tr><th scope=\"row\"><code>([^<]+)</code></th><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert rows == [("so-noi-vu", "12", "3", "3"), ("ubnd-huu-lung", "3", "0", "0"), ("tinh-doan", "0", "1", "1")]


def test_a_visit_through_the_banner_button_is_credited(client, ctx, clock):
    make_contest()
    html = client.get("/embed/banner?src=so-noi-vu").get_data(as_text=True)
    target = re.search(r'<a class="b-cta" href="([^"]+)"', html).group(1)
    client.get(target)
    client.get(target)  # the same session is counted once
    log_in(client)
    page = client.get("/admin/embed").get_data(as_text=True)
    assert re.search(r"<code>so-noi-vu</code></th><td>1</td>", page)
