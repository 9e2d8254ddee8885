"""The dashboard on a hand-built contest: participants and attempts today, this round and
over the contest, per block and unit, per day, the score distribution; SVG charts with
their tables; htmx fragments."""
from __future__ import annotations

import re
from datetime import date

import pytest

from portal import participation
from portal.admin import charts
from portal.extensions import db
from tests.admin_helpers import htmx, login_staff
from tests.factories import make_contest
from tests.results_helpers import add_attempt, add_contestant, round_no


@pytest.fixture
def contest(ctx, clock):
    """Round 1 is open (Wednesday 05/07, 10:00 local). A: two attempts (Monday, today);
    B: one today; C: one on Tuesday; D: registered, one attempt still running today."""
    contest = make_contest()
    r1 = round_no(contest, 1)
    a = add_contestant(contest, "An", unit="Huyện Hữu Lũng")
    b = add_contestant(contest, "Bình", unit="Thành phố Lạng Sơn")
    c = add_contestant(contest, "Cường", unit="Sở Thông tin và Truyền thông")
    d = add_contestant(contest, "Dung", unit="Huyện Hữu Lũng")
    add_attempt(a, r1, 7, day=0)
    add_attempt(a, r1, 9, day=2)
    add_attempt(b, r1, 9, day=2)
    add_attempt(c, r1, 3, day=1)
    add_attempt(d, r1, None, status="in_progress", day=2)
    db.session.commit()
    return contest


def by_name(figures) -> dict:
    out = {}
    for block in figures["blocks"]:
        out[block.name] = (block.participants, block.attempts)
        for unit in block.units:
            out[unit["name"]] = (unit["participants"], unit["attempts"])
    return out


def test_participation_per_period_block_and_unit(contest):
    r1 = round_no(contest, 1)
    today = participation.by_block(contest, "today", r1)
    assert vars(today["total"]) == {"participants": 2, "attempts": 2}
    assert by_name(today)["Khối huyện, thành phố"] == (2, 2)
    assert by_name(today)["Khối cơ quan cấp tỉnh"] == (0, 0)
    rnd = participation.by_block(contest, "round", r1)
    assert vars(rnd["total"]) == {"participants": 3, "attempts": 4}
    names = by_name(rnd)
    assert names["Khối huyện, thành phố"] == (2, 3) and names["Khối cơ quan cấp tỉnh"] == (1, 1)
    assert names["Huyện Hữu Lũng"] == (1, 2) and names["Thành phố Lạng Sơn"] == (1, 1)
    assert names["Sở Thông tin và Truyền thông"] == (1, 1)
    assert vars(participation.by_block(contest, "contest", r1)["total"]) == {"participants": 3, "attempts": 4}
    assert participation.by_block(contest, "round", round_no(contest, 2))["total"].attempts == 0


def test_attempts_per_day_and_score_distribution(contest):
    days = participation.attempts_per_day(contest)
    assert [(d["day"], d["attempts"], d["participants"]) for d in days] == [
        (date(2023, 7, 3), 1, 1), (date(2023, 7, 4), 1, 1), (date(2023, 7, 5), 2, 2)]
    scores = participation.score_distribution(round_no(contest, 1), contest.questions_per_attempt)
    assert len(scores) == 11
    assert {s["score"]: s["attempts"] for s in scores if s["attempts"]} == {3: 1, 7: 1, 9: 2}
    assert participation.in_progress(contest) == 1 and participation.registrations(contest) == 4


def test_chart_geometry():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 12, 180, 201)] == [1, 1, 5, 10, 20, 200, 500]
    chart = charts.horizontal_bars([("Một", 10), ("Hai", 5), ("Ba", 0)], width=500, label_width=100, value_width=50)
    widths = [b.width for b in chart.bars]
    assert widths[0] == 350 and widths[1] == 175 and widths[2] == 0
    assert [t.text for t in chart.ticks][-1] == "10"
    column = charts.columns([(str(i), i) for i in range(30)], max_labels=10)
    assert column.label_every == 3
    assert all(b.y + b.height == pytest.approx(column.plot_bottom) for b in column.bars)
    long = "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng – Lạng Sơn"
    bar = charts.horizontal_bars([(long, 1)]).bars[0]
    assert bar.label.endswith("…") and bar.full_label == long


def test_the_dashboard_page_draws_charts_with_their_tables(client, contest):
    login_staff(client)
    html = client.get("/admin/").get_data(as_text=True)
    assert html.count('role="img"') == 4  # blocks, units, days, scores
    for title in ("Người tham gia theo khối", "Người tham gia theo đơn vị", "Số lượt thi mỗi ngày",
                  "Phổ điểm các lượt thi tuần 1"):
        assert re.search(rf'<title id="[^"]+">{title}', html), title
    assert "<details>" in html and "Bảng số liệu theo ngày" in html
    assert re.search(r"<dt>Thí sinh đã đăng ký</dt><dd>4</dd>", html)
    assert re.search(r"<dt>Người thi hôm nay</dt><dd>2</dd>", html)
    assert re.search(r"<dt>Đang làm bài</dt><dd>1</dd>", html)
    assert "<th scope=\"row\">05/07/2023</th><td class=\"num\">2</td>" in html
    assert ' style="' not in html  # CSP: no inline styles, not even in the SVG


def test_period_tabs_and_polling_get_fragments(client, contest):
    login_staff(client)
    fragment = client.get("/admin/?period=today", headers=htmx())
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="live">') and "<html" not in html
    assert "HX-Request" in fragment.headers["Vary"]
    assert "Hôm nay: <strong>2</strong> người tham gia" in html
    figures = client.get("/admin/?period=today&part=figures", headers=htmx()).get_data(as_text=True)
    assert figures.lstrip().startswith("<section") and "id=\"figures\"" in figures and "<html" not in figures
    whole = client.get("/admin/?period=contest").get_data(as_text=True)
    assert "<html" in whole and "Toàn cuộc thi: <strong>3</strong> người tham gia" in whole
