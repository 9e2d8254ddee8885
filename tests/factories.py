"""Test data built through the same services the portal uses."""
from __future__ import annotations

import textwrap

from portal.contest_file import parse_contest_file
from portal.contest_setup import apply_contest_spec
from portal.extensions import db
from portal.models import Choice, Contest, Question

BASE_TOML = textwrap.dedent('''
    slug = "{slug}"
    title = "Cuộc thi thử nghiệm"
    timezone = "Asia/Ho_Chi_Minh"
    questions_per_attempt = {questions_per_attempt}
    choices_per_question = 4
    time_limit_seconds = {time_limit_seconds}
    grace_seconds = {grace_seconds}
    attempts_per_day = {attempts_per_day}
    prediction = "{prediction}"
    tiebreak = ["score", "duration", "prediction"]
    embed_origins = ["https://*.langson.gov.vn", "https://example.org"]

    [[rounds]]
    number = 1
    opens_at = "2023-07-03T08:00"
    closes_at = "2023-07-09T17:00"

    [[rounds]]
    number = 2
    opens_at = "2023-07-10T08:00"
    closes_at = "2023-07-16T17:00"

    [[prizes.individual]]
    name = "Giải Nhất"
    count = 1
    amount = 3000000

    [[prizes.individual]]
    name = "Giải Nhì"
    count = 2
    amount = 2000000

    [[prizes.collective]]
    name = "Giải Nhất"
    count = 1
    amount = 5000000

    [[blocks]]
    key = "province"
    name = "Khối cơ quan cấp tỉnh"

    [[blocks]]
    key = "district"
    name = "Khối huyện, thành phố"

    [[units]]
    block = "province"
    name = "Sở Thông tin và Truyền thông"
    headcount = 80

    [[units]]
    block = "district"
    name = "Huyện Hữu Lũng"

    [[units]]
    block = "district"
    name = "Thành phố Lạng Sơn"
''')


def contest_toml(**overrides) -> str:
    values = dict(slug="thu-nghiem", questions_per_attempt=10, time_limit_seconds=600,
                  grace_seconds=15, attempts_per_day=1, prediction="people")
    values.update(overrides)
    return BASE_TOML.format(**values)


def make_contest(**overrides) -> Contest:
    contest, _ = apply_contest_spec(parse_contest_file(contest_toml(**overrides)), actor="test")
    return contest


def make_questions(contest: Contest, per_round: int = 50) -> None:
    for rnd in contest.rounds:
        for i in range(per_round):
            q = Question(round_id=rnd.id, text=f"Câu hỏi {i + 1} của tuần {rnd.number}?")
            q.choices = [Choice(position=p, text=f"Phương án {'ABCD'[p]} {i}", is_correct=(p == i % 4))
                         for p in range(4)]
            db.session.add(q)
    db.session.commit()
