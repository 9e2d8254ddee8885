"""Contest files: the stable format, validation of every key, create-or-update, all-or-nothing."""
import sqlalchemy as sa

from portal.contest_file import ContestFileError, origin_allowed, parse_contest_file
from portal.extensions import db
from portal.models import AuditEntry, Contest, PrizeTier, Round, Unit
from tests.factories import contest_toml

BAD = '''
slug = "Bad Slug"
title = ""
timezone = "Mars/Olympus"
questions_per_attempt = "ten"
attempts_per_day = 0
prediction = "guess"
tiebreak = ["duration", "score"]
embed_origins = ["javascript:alert(1)"]
colour = "red"
[[rounds]]
number = 1
opens_at = "2023-07-09T17:00"
closes_at = "2023-07-03T08:00"
[[rounds]]
number = 1
opens_at = "yesterday"
closes_at = "2023-07-16T17:00"
[[prizes.individual]]
name = "Giải Nhất"
count = 0
amount = -5
[[blocks]]
key = "province"
name = "Khối tỉnh"
[[units]]
block = "nowhere"
name = "Sở Y tế"
'''


def test_the_demo_file_in_the_repo_is_valid():
    from portal.demo import CONTEST_FILE

    spec = parse_contest_file(CONTEST_FILE.read_text(encoding="utf-8"))
    assert spec.slug == "cds-langson-2023"
    assert len(spec.rounds) == 4
    assert [b["key"] for b in spec.blocks] == ["province", "district"]
    assert sum(u["block"] == "district" for u in spec.units) == 11
    assert [(t["name"], t["count"], t["amount"]) for t in spec.prizes["individual"]] == [
        ("Giải Nhất", 1, 3_000_000), ("Giải Nhì", 2, 2_000_000),
        ("Giải Ba", 3, 1_000_000), ("Giải Khuyến khích", 5, 500_000)]
    assert sum(t["count"] for t in spec.prizes["collective"]) == 9


def test_every_problem_is_reported_with_its_key():
    try:
        parse_contest_file(BAD)
    except ContestFileError as exc:
        text = "\n".join(exc.problems)
    else:
        raise AssertionError("a bad file was accepted")
    for key in ("slug:", "title:", "timezone:", "questions_per_attempt:", "attempts_per_day:",
                "prediction:", "tiebreak:", "embed_origins[0]:", "colour:", "rounds[0].closes_at:",
                "rounds[1].number:", "rounds[1].opens_at:", "prizes.individual[0].count:",
                "prizes.individual[0].amount:", "units[0].block:"):
        assert key in text, key


def test_load_creates_then_updates(runner, ctx, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(contest_toml(), encoding="utf-8")
    result = runner.invoke(args=["contest", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã tạo" in result.output
    path.write_text(contest_toml(time_limit_seconds=300).replace("Huyện Hữu Lũng", "Huyện Chi Lăng"), encoding="utf-8")
    result = runner.invoke(args=["contest", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã cập nhật" in result.output
    contest = db.session.scalar(sa.select(Contest))
    db.session.refresh(contest)
    assert contest.time_limit_seconds == 300
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contest)) == 1
    units = {u.name: u.active for u in db.session.scalars(sa.select(Unit))}
    assert units["Huyện Chi Lăng"] is True and units["Huyện Hữu Lũng"] is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrizeTier)) == 3
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["contest.create", "contest.update"]


def test_a_bad_file_changes_nothing(runner, ctx, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(contest_toml(), encoding="utf-8")
    assert runner.invoke(args=["contest", "load", str(good)]).exit_code == 0
    bad = tmp_path / "bad.toml"
    # Valid keys but a round overlapping the next: refused as a whole.
    bad.write_text(contest_toml(time_limit_seconds=120).replace(
        'closes_at = "2023-07-09T17:00"', 'closes_at = "2023-07-11T17:00"'), encoding="utf-8")
    result = runner.invoke(args=["contest", "load", str(bad)])
    assert result.exit_code == 1
    assert "chồng lấn" in result.output
    contest = db.session.scalar(sa.select(Contest))
    db.session.refresh(contest)
    assert contest.time_limit_seconds == 600


def test_rules_html_is_sanitized_on_load():
    toml = 'rules_html = "<p onclick=\\"x()\\">Thể lệ</p><script>alert(1)</script>"\n' + contest_toml()
    spec = parse_contest_file(toml)
    assert spec.settings["rules_html"] == "<p>Thể lệ</p>"


def test_origin_patterns():
    patterns = ["https://*.langson.gov.vn", "https://example.org"]
    assert origin_allowed("https://sotttt.langson.gov.vn", patterns)
    assert origin_allowed("https://a.b.langson.gov.vn", patterns)
    assert origin_allowed("https://example.org", patterns)
    assert not origin_allowed("http://sotttt.langson.gov.vn", patterns)
    assert not origin_allowed("https://langson.gov.vn.evil.com", patterns)
    assert not origin_allowed("https://evil.com/x.langson.gov.vn", patterns)
    assert not origin_allowed("https://example.org.evil.com", patterns)
