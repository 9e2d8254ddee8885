"""Results commands: `round finalize|unfinalize|verify|recount` and `results export` (stable names,
see DESIGN.md §4)."""
from __future__ import annotations

import getpass
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from portal import results, results_export, stats
from portal.extensions import db
from portal.formatting import vn_money
from portal.models import Contest, Round

round_cli = AppGroup("round", help="Tuần thi: chốt, hủy chốt, kiểm tra kết quả.")
results_cli = AppGroup("results", help="Kết quả: xuất tệp Excel chính thức.")


def _actor() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def _contest(slug: str) -> Contest:
    contest = db.session.scalar(sa.select(Contest).where(Contest.slug == slug))
    if contest is None:
        raise click.ClickException(f"Không có cuộc thi '{slug}'.")
    return contest


def _round(slug: str, number: int) -> Round:
    round_ = _contest(slug).round_by_number(number)
    if round_ is None:
        raise click.ClickException(f"Cuộc thi '{slug}' không có tuần {number}.")
    return round_


@round_cli.command("recount")
@click.option("--contest", "slug", required=True, help="slug của cuộc thi")
@click.argument("number", type=int, required=False)
def round_recount(slug: str, number: int | None) -> None:
    """Recount the participation tally of round NUMBER (every round if omitted) from its
    attempts: after attempts were written or changed outside the portal."""
    contest = _contest(slug)
    rounds = [_round(slug, number)] if number is not None else list(contest.rounds)
    stats.recount(r.id for r in rounds)
    db.session.commit()
    results.results_changed(contest)
    for round_ in rounds:
        counts = stats.round_counts(round_)
        click.echo(f"Tuần {round_.number}: {counts['participants']} người tham gia, {counts['attempts']} lượt thi.")


@round_cli.command("finalize")
@click.option("--contest", "slug", required=True, help="slug của cuộc thi")
@click.argument("number", type=int)
def round_finalize(slug: str, number: int) -> None:
    """Finalize round NUMBER: freeze the ranking and allocate the prizes (repeatable)."""
    round_ = _round(slug, number)
    try:
        outcome = results.finalize_round(round_, _actor())
    except results.ResultsError as exc:
        raise click.ClickException(exc.message) from None
    if outcome.already_final:
        click.echo(f"Tuần {number} đã được chốt trước đó; kết quả giữ nguyên.")
    else:
        click.echo(f"Đã chốt kết quả tuần {number}.")
    click.echo(f"Số tham gia: {outcome.participants}; xếp hạng: {outcome.entries} thí sinh; "
               f"đạt giải: {outcome.winners}.")
    for winner in results.round_winners(round_):
        click.echo(f"  {winner['rank']:>4}. {winner['prize']}: {winner['name']} — {winner['unit']} "
                   f"({vn_money(winner['prize_amount'])})")
    if outcome.collective_awarded:
        click.echo("Đã xét giải tập thể (tất cả các tuần đã chốt).")
    click.echo(f"Mã kiểm tra (SHA-256): {outcome.checksum}")


@round_cli.command("unfinalize")
@click.option("--contest", "slug", required=True, help="slug của cuộc thi")
@click.option("--reason", required=True, help="lý do hủy chốt (ghi vào nhật ký)")
@click.argument("number", type=int)
def round_unfinalize(slug: str, number: int, reason: str) -> None:
    """Undo the finalization of round NUMBER (audited, with a reason)."""
    try:
        results.unfinalize_round(_round(slug, number), _actor(), reason)
    except results.ResultsError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Đã hủy chốt kết quả tuần {number}.")


@round_cli.command("verify")
@click.option("--contest", "slug", required=True, help="slug của cuộc thi")
@click.argument("number", type=int)
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def round_verify(slug: str, number: int, file: Path | None) -> None:
    """Check the stored frozen ranking (and, if given, an exported FILE.xlsx) against the
    checksum taken when round NUMBER was finalized."""
    round_ = _round(slug, number)
    if not round_.is_final:
        raise click.ClickException(f"Tuần {number} chưa chốt kết quả.")
    ok = results.verify_round(round_)
    click.echo(f"Dữ liệu đã chốt: {'khớp' if ok else 'KHÔNG khớp'} mã kiểm tra {round_.ranking_checksum}.")
    if file is not None:
        found = results_export.read_ranking_checksum(file, slug, number, round_.participants_final)
        file_ok = found == round_.ranking_checksum
        click.echo(f"Tệp {file.name}: {'khớp' if file_ok else 'KHÔNG khớp'} (mã của tệp: {found}).")
        ok = ok and file_ok
    if not ok:
        raise SystemExit(1)


@results_cli.command("export")
@click.option("--contest", "slug", required=True, help="slug của cuộc thi")
@click.option("--round", "number", type=int, default=None, help="tuần thi cần xuất")
@click.option("--collective", is_flag=True, help="xuất xếp hạng và giải tập thể")
@click.option("--winners-only", is_flag=True, help="chỉ danh sách đạt giải của tuần")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def results_export_command(slug: str, number: int | None, collective: bool, winners_only: bool, file: Path) -> None:
    """Write the official results to FILE.xlsx: a round's (--round N) or the collective ones."""
    if (number is None) == (not collective):
        raise click.UsageError("Chọn đúng một trong hai: --round N hoặc --collective.")
    if collective:
        rows = results_export.export_collective(_contest(slug), file)
        click.echo(f"Đã xuất {rows} đơn vị vào {file}.")
        return
    try:
        rows = results_export.export_round(_round(slug, number), file, winners_only=winners_only)
    except results_export.ExportError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Đã xuất {rows} dòng kết quả tuần {number} vào {file}.")


def register(app: Flask) -> None:
    app.cli.add_command(round_cli)
    app.cli.add_command(results_cli)
