"""Public leaderboards (HTML and JSON): provisional then final, masked, cacheable, paged."""
from __future__ import annotations

import re

import pytest

from portal import results
from portal.extensions import db
from tests.factories import make_contest
from tests.results_helpers import AFTER_ROUND_1, add_attempt, add_contestant, round_no

API = "/api/v1/contests/thu-nghiem"


@pytest.fixture
def contest(ctx, clock):
    return make_contest()


@pytest.fixture
def people(contest):
    r1 = round_no(contest, 1)
    made = {
        "an": add_contestant(contest, "Nguyễn Văn An", phone="0912345678", unit="Huyện Hữu Lũng"),
        "binh": add_contestant(contest, "Trần Thị Bình", phone="0987654321", public_consent=False,
                               unit="Thành phố Lạng Sơn"),
        "staff": add_contestant(contest, "Cán Bộ Tổ Chức", phone="0911111111", status="ineligible"),
        "cheat": add_contestant(contest, "Gian Lận", phone="0922222222", status="disqualified"),
        "gone": add_contestant(contest, "Đã Ẩn Danh", phone="0933333333", anonymized=True),
        "xss": add_contestant(contest, "<script>alert(1)</script>", phone="0944444444"),
    }
    add_attempt(made["staff"], r1, 10, 90_000, 6)
    add_attempt(made["cheat"], r1, 10, 10_000, 6)
    add_attempt(made["an"], r1, 9, 100_000, 9)
    add_attempt(made["binh"], r1, 9, 100_000, 6, day=1)
    add_attempt(made["gone"], r1, 8, 100_000, 6)
    add_attempt(made["xss"], r1, 7, 100_000, None)
    db.session.commit()
    return made


def html_names(html: str) -> list[str]:
    return re.findall(r'<span class="name">([^<]*)</span>', html)


def test_provisional_leaderboard_is_marked_masked_and_ranked_by_score_and_time(client, people):
    response = client.get("/rounds/1/leaderboard")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Bảng xếp hạng tạm thời" in html and "Tuần thi đang diễn ra" in html
    assert html_names(html) == ["Cán Bộ Tổ Chức", "Nguyễn Văn An", f"Thí sinh #{people['binh'].id}",
                                f"Thí sinh #{people['gone'].id}", "&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert "Gian Lận" not in html and "<script>alert(1)" not in html
    assert "091****678" in html and "0912345678" not in html
    assert "0987654321" not in html and "098****321" not in html  # no public consent: no phone
    assert "Đã Ẩn Danh" not in html and "093****333" not in html
    assert "Thành phố Lạng Sơn" in html  # the unit may be shown without consent
    assert html.count("Không xét giải") == 2  # the staff member and the anonymized account
    assert "Dự đoán" not in html and "01:40.0" in html
    assert '/static/css/results.css' in html
    assert "HX-Request" in response.headers["Vary"]


def test_json_leaderboard_has_the_documented_shape_and_matches_the_page(client, people):
    response = client.get(f"{API}/rounds/1/leaderboard")
    body = response.get_json()
    assert set(body) == {"final", "participants", "rows"}
    assert body["final"] is False and body["participants"] is None
    for row in body["rows"]:
        assert set(row) == {"rank", "name", "unit", "phone", "score", "duration_ms", "prediction_error"}
        assert row["prediction_error"] is None
    html = client.get("/rounds/1/leaderboard").get_data(as_text=True)
    names = [r["name"].replace("<", "&lt;").replace(">", "&gt;") for r in body["rows"]]
    assert names == html_names(html)
    assert [r["rank"] for r in body["rows"]] == [1, 2, 3, 4, 5]
    assert body["rows"][1] == {"rank": 2, "name": "Nguyễn Văn An", "unit": "Huyện Hữu Lũng", "phone": "091****678",
                               "score": 9, "duration_ms": 100_000, "prediction_error": None}
    assert body["rows"][2]["phone"] is None and body["rows"][2]["unit"] == "Thành phố Lạng Sơn"
    assert body["rows"][3]["unit"] is None and body["rows"][3]["phone"] is None
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert client.get(f"{API}/rounds/9/leaderboard").status_code == 404
    assert client.get("/api/v1/contests/khong-co/rounds/1/leaderboard").status_code == 404


def test_json_endpoints_answer_304_to_a_matching_etag_and_change_with_the_data(client, contest, people):
    for path in (f"{API}/rounds/1/leaderboard", f"{API}/stats"):
        first = client.get(path)
        etag = first.headers["ETag"]
        assert etag and first.headers["Cache-Control"].startswith("public, max-age=")
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
    stats = client.get(f"{API}/stats").get_json()
    assert stats["round"]["participants"] == 6 and stats["round"]["attempts"] == 6
    old = client.get(f"{API}/rounds/1/leaderboard").headers["ETag"]
    add_attempt(add_contestant(contest, "Người Mới"), round_no(contest, 1), 10, 1_000)
    db.session.commit()
    results.results_changed(contest)
    fresh = client.get(f"{API}/rounds/1/leaderboard", headers={"If-None-Match": old})
    assert fresh.status_code == 200 and fresh.get_json()["rows"][0]["name"] == "Người Mới"
    assert client.get(f"{API}/stats").get_json()["round"]["participants"] == 7


def test_final_leaderboard_shows_participants_errors_prizes_and_checksum(client, contest, people, clock):
    r1 = round_no(contest, 1)
    clock.set(AFTER_ROUND_1)
    results.finalize_round(r1, "cli")
    html = client.get("/rounds/1/leaderboard").get_data(as_text=True)
    assert "Bảng xếp hạng chính thức" in html and "tạm thời" not in html
    assert "Số người tham gia" in html and r1.ranking_checksum in html
    assert "Giải Nhất" in html and "Giải Nhì" in html and "(±3)" in html
    body = client.get(f"{API}/rounds/1/leaderboard").get_json()
    assert body["final"] is True and body["participants"] == 6
    # binh predicted 6 = participants: closer than an's 9, so binh now ranks above an.
    assert [(r["name"], r["prediction_error"]) for r in body["rows"]] == [
        ("Cán Bộ Tổ Chức", 0), (f"Thí sinh #{people['binh'].id}", 0), ("Nguyễn Văn An", 3),
        (f"Thí sinh #{people['gone'].id}", 0), ("<script>alert(1)</script>", None)]
    assert client.get(f"{API}/rounds/1/leaderboard").headers["Cache-Control"] == "public, max-age=300"
    assert html_names(html)[1] == f"Thí sinh #{people['binh'].id}"


def test_pages_are_paged_and_htmx_gets_only_the_fragment(client, contest):
    r1 = round_no(contest, 1)
    for i in range(results.PAGE_SIZE + 3):
        add_attempt(add_contestant(contest, f"Thí sinh số {i:03d}"), r1, 10 - i % 5, 100_000 + i)
    db.session.commit()
    full = client.get("/rounds/1/leaderboard").get_data(as_text=True)
    assert "<html" in full and "?page=2" in full and "Trang sau" in full
    assert len(html_names(full)) == results.PAGE_SIZE
    fragment = client.get("/rounds/1/leaderboard?page=2", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text
    assert 'id="leaderboard"' in text and len(html_names(text)) == 3 and "Trang trước" in text
    assert 'data-rank="51"' in text
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/rounds/1/leaderboard?page=2", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    api = client.get(f"{API}/rounds/1/leaderboard?page=2")
    assert [r["rank"] for r in api.get_json()["rows"]] == [51, 52, 53]
    assert "rel=\"next\"" in client.get(f"{API}/rounds/1/leaderboard").headers["Link"]


def test_round_links_redirects_and_unknown_rounds(client, contest):
    current = client.get("/leaderboard")
    assert current.status_code == 302 and current.headers["Location"].endswith("/rounds/1/leaderboard")
    assert client.get("/rounds/7/leaderboard").status_code == 404
    beyond = client.get("/rounds/1/leaderboard?page=40").get_data(as_text=True)
    assert "Trang này không có thí sinh nào" in beyond
    upcoming = client.get("/rounds/2/leaderboard").get_data(as_text=True)
    assert "Tuần thi chưa mở" in upcoming and "Chưa có lượt thi nào" in upcoming


def test_collective_page_lists_units_per_block(client, contest, people):
    html = client.get("/collective").get_data(as_text=True)
    assert "Xếp hạng tập thể tạm thời" in html
    assert "Khối cơ quan cấp tỉnh" in html and "Khối huyện, thành phố" in html
    assert "Huyện Hữu Lũng" in html and "Thành phố Lạng Sơn" in html
    # The province unit (headcount 80) counts the anonymized account and the active one,
    # not the excluded staff member nor the disqualified one: 2/80.
    assert "2,5%" in html
    assert html.count("—") >= 2  # no headcount, no rate for the two district units
