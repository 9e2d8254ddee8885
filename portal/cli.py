"""Command-line interface: `flask --app wsgi <command>` (stable; see the README)."""
from __future__ import annotations

import os
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from portal import results_cli
from portal.contest_file import ContestFileError, parse_contest_file
from portal.contest_setup import apply_contest_spec
from portal.extensions import db
from portal.models import STAFF_ROLES, Contest, Staff
from portal.question_import import UnreadableFile

contest_cli = AppGroup("contest", help="Cuộc thi: tạo hoặc cập nhật từ tệp TOML.")
questions_cli = AppGroup("questions", help="Ngân hàng câu hỏi.")
attempts_cli = AppGroup("attempts", help="Lượt thi.")
privacy_cli = AppGroup("privacy", help="Dữ liệu cá nhân.")


def _contest(slug: str) -> Contest:
    contest = db.session.scalar(sa.select(Contest).where(Contest.slug == slug))
    if contest is None:
        raise click.ClickException(f"Không có cuộc thi '{slug}'.")
    return contest


@contest_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def contest_load(file: Path) -> None:
    """Create or update a contest from FILE.toml; a bad file changes nothing."""
    try:
        spec = parse_contest_file(file.read_text(encoding="utf-8"))
        contest, created = apply_contest_spec(spec, actor="cli")
    except (ContestFileError, UnicodeDecodeError) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        click.echo(f"{file}: {len(problems)} lỗi, không có gì được ghi:", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1)
    click.echo(f"{'Đã tạo' if created else 'Đã cập nhật'} cuộc thi {contest.slug}: "
               f"{len(contest.rounds)} tuần, {sum(len(b.units) for b in contest.blocks)} đơn vị.")


@questions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contest", "slug", required=True, help="slug của cuộc thi")
@click.option("--round", "round_number", type=int, default=None, help="chỉ nhập vào tuần N")
def questions_import(file: Path, slug: str, round_number: int | None) -> None:
    """Import questions from .xlsx or UTF-8 .csv: all or nothing."""
    from portal.question_bank import check_file, save_questions

    contest = _contest(slug)
    if round_number is not None and contest.round_by_number(round_number) is None:
        raise click.ClickException(f"Cuộc thi không có tuần {round_number}.")
    try:
        report = check_file(contest, file.name, file.read_bytes(), round_number)
    except UnreadableFile as exc:
        click.echo(f"{file}: {exc}", err=True)
        raise SystemExit(1)
    if not report.ok:
        click.echo(f"{file}: {len(report.errors)} dòng lỗi, không có câu hỏi nào được nhập:", err=True)
        for row, reason in report.errors:
            click.echo(f"  dòng {row}: {reason}", err=True)
        raise SystemExit(1)
    count = save_questions(contest, report, actor="cli", filename=file.name)
    click.echo(f"Đã nhập {count} câu hỏi vào cuộc thi {contest.slug}.")


@click.command("create-admin")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(STAFF_ROLES), default="admin")
def create_admin(username: str, password: str, role: str) -> None:
    """Create a staff account, or reset its password and role."""
    from portal import audit

    if len(password) < 10:
        raise click.ClickException("Mật khẩu cần ít nhất 10 ký tự.")
    staff = db.session.scalar(sa.select(Staff).where(Staff.username == username))
    created = staff is None
    if created:
        staff = Staff(username=username)
        db.session.add(staff)
    staff.role, staff.active = role, True
    staff.set_password(password)
    db.session.flush()
    audit.record("cli", "staff.create" if created else "staff.reset", staff, after={"username": username, "role": role})
    db.session.commit()
    click.echo(f"{'Đã tạo' if created else 'Đã cập nhật'} tài khoản {username} ({role}).")


@click.command("seed-demo")
@click.option("--dates", type=click.Choice(["today", "original"]), default="today",
              help="today: tuần 1 đang mở hôm nay; original: 03/07–30/07/2023")
@click.option("--if-empty", is_flag=True, help="chỉ tạo khi cơ sở dữ liệu chưa có cuộc thi nào")
@click.option("--no-activity", is_flag=True, help="không tạo thí sinh và lượt thi mẫu")
def seed_demo_command(dates: str, if_empty: bool, no_activity: bool) -> None:
    """The Lạng Sơn 2023 demo contest, its units and a 200-question bank."""
    from portal import demo

    if if_empty and not demo.database_is_empty():
        click.echo("Đã có dữ liệu, bỏ qua tạo dữ liệu mẫu.")
    else:
        result = demo.seed_demo(dates=dates, activity=not no_activity)
        contest = result["contest"]
        click.echo(f"{'Đã tạo' if result['created'] else 'Đã cập nhật'} cuộc thi mẫu {contest.slug}; "
                   f"nhập {result['imported']} câu hỏi mới; {result['sample_attempts']} lượt thi mẫu.")
    username = os.environ.get("DEMO_ADMIN_USER", "bantochuc")
    password = os.environ.get("DEMO_ADMIN_PASSWORD", "langson-2023")
    if demo.ensure_demo_staff(username, password):
        click.echo(f"Tài khoản Ban Tổ chức mẫu: {username} / {password} (đăng nhập tại /admin/login)")


@attempts_cli.command("expire")
def attempts_expire() -> None:
    """Close every attempt past its deadline + grace (run from cron every minute)."""
    from portal.quiz_service import expire_all_overdue

    total = 0
    for contest in db.session.scalars(sa.select(Contest)):
        total += expire_all_overdue(contest)
    click.echo(f"Đã đóng {total} lượt thi quá hạn.")


@privacy_cli.command("purge")
def privacy_purge() -> None:
    """Anonymize contestants of contests that ended more than retention_days ago (cron)."""
    from portal.privacy import purge_due

    for contest in db.session.scalars(sa.select(Contest)):
        count = purge_due(contest)
        if count:
            click.echo(f"{contest.slug}: đã ẩn danh {count} thí sinh.")
    click.echo("Xong.")


def register(app: Flask) -> None:
    for command in (contest_cli, questions_cli, attempts_cli, privacy_cli, create_admin, seed_demo_command):
        app.cli.add_command(command)
    results_cli.register(app)
