"""Results in the admin view: the ranking of a round, finalize (moderators) and
un-finalize (admins only), the winners and the official files, collective results."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from tests.admin_helpers import audits, htmx, login_staff, post
from tests.factories import make_contest
from tests.results_helpers import AFTER_ROUND_1, add_attempt, add_contestant, round_no


@pytest.fixture
def contest(ctx, clock):
    contest = make_contest()
    r1 = round_no(contest, 1)
    people = [add_contestant(contest, name, unit=unit) for name, unit in (
        ("Nguyễn Văn An", "Huyện Hữu Lũng"), ("Trần Thị Bình", "Thành phố Lạng Sơn"),
        ("Lê Văn Cường", "Sở Thông tin và Truyền thông"), ("Phạm Thị Dung", "Huyện Hữu Lũng"))]
    for person, score, duration in zip(people, (10, 9, 9, 5), (200_000, 150_000, 250_000, 100_000)):
        add_attempt(person, r1, score, duration, prediction=4)
    people[0].status, people[0].status_reason = "ineligible", "Thành viên Ban Tổ chức"
    db.session.commit()
    return contest


def test_the_provisional_ranking_shows_full_identities_to_staff(client, contest):
    login_staff(client)
    html = client.get("/admin/results/1").get_data(as_text=True)
    assert "Bảng xếp hạng tạm thời" in html and "Chưa chốt được" in html and "chưa kết thúc" in html
    assert html.index("Nguyễn Văn An") < html.index("Trần Thị Bình") < html.index("Lê Văn Cường")
    assert "Không xét giải" in html
    fragment = client.get("/admin/results/1?page=1", headers=htmx())
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="ranking">')
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_moderator_finalizes_a_round_and_downloads_its_winners(client, contest, clock):
    clock.set(AFTER_ROUND_1)
    login_staff(client, "bantochuc", role="moderator")
    overview = client.get("/admin/results").get_data(as_text=True)
    assert "Chốt kết quả tuần 1" in overview and "Chờ chốt kết quả" in overview
    response = post(client, "/admin/results/1/finalize", token_from="/admin/results/1")
    assert response.status_code == 302
    html = client.get("/admin/results/1").get_data(as_text=True)
    assert "Đã chốt kết quả" in html and "Danh sách đạt giải" in html
    # The ineligible organizer keeps rank 1 but the prizes go to the next two.
    assert html.count("Giải Nhất") >= 1 and "Giải Nhì" in html
    entry, = audits("round.finalize")
    assert entry.actor == "staff:bantochuc" and entry.after["winners"] == 3
    download = client.get("/admin/results/1/export.xlsx?winners=1")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(download.data))["Đạt giải"]
    names = [row[3] for row in sheet.iter_rows(min_row=2, values_only=True) if row[3]]
    assert names == ["Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung"]
    assert len(audits("results.export")) == 1
    full = client.get("/admin/results/1/export.xlsx")
    assert "Bảng xếp hạng" in load_workbook(io.BytesIO(full.data)).sheetnames
    verify = client.get("/admin/results/1/verify", headers=htmx()).get_data(as_text=True)
    assert "khớp với mã kiểm tra" in verify and "KHÔNG" not in verify


def test_finalizing_an_open_round_is_refused_with_the_reason(client, contest):
    login_staff(client)
    response = post(client, "/admin/results/1/finalize", token_from="/admin/results/1")
    assert response.status_code == 302
    assert "chưa kết thúc" in client.get("/admin/results/1").get_data(as_text=True)
    assert audits("round.finalize") == []
    early = client.get("/admin/results/1/export.xlsx")
    assert early.status_code == 302


def test_only_an_admin_unfinalizes_and_only_with_a_reason(client, contest, clock):
    clock.set(AFTER_ROUND_1)
    login_staff(client, "bantochuc", role="moderator")
    post(client, "/admin/results/1/finalize", token_from="/admin/results/1")
    refused = post(client, "/admin/results/1/unfinalize", {"reason": "Sai đáp án câu 3"}, token_from="/admin/results/1")
    assert refused.status_code == 403
    assert "Hủy chốt kết quả" not in client.get("/admin/results/1").get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": ""})
    with client.session_transaction() as session:
        session.clear()
    login_staff(client, "quantri", role="admin")
    short = post(client, "/admin/results/1/unfinalize", {"reason": "sai"}, token_from="/admin/results/1")
    assert short.status_code == 302 and audits("round.unfinalize") == []
    done = post(client, "/admin/results/1/unfinalize", {"reason": "Sai đáp án câu 3"}, token_from="/admin/results/1")
    assert done.status_code == 302
    entry, = audits("round.unfinalize")
    assert entry.actor == "staff:quantri" and entry.after == {"reason": "Sai đáp án câu 3"}
    assert "Chưa chốt kết quả" in client.get("/admin/results/1").get_data(as_text=True)


def test_collective_results_per_block_and_their_download(client, contest):
    login_staff(client)
    html = client.get("/admin/results").get_data(as_text=True)
    assert "Kết quả tập thể theo khối" in html and "Tạm thời" in html
    assert "Khối cơ quan cấp tỉnh" in html and "Khối huyện, thành phố" in html
    # One counted participant each (the organizer is not counted for Hữu Lũng); the tie
    # goes to the better mean best score (9 against 5).
    district = html[html.index("Khối huyện, thành phố"):]
    assert district.index("Thành phố Lạng Sơn") < district.index("Huyện Hữu Lũng")
    download = client.get("/admin/results/collective.xlsx")
    assert download.status_code == 200
    assert "Xếp hạng tập thể" in load_workbook(io.BytesIO(download.data)).sheetnames
