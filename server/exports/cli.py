"""``gridreg export``: the API's exports from the command line, run in this process with a progress bar."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import select

from server.cli import _settings, main
from server.errors import AppError


@main.command("export")
@click.argument("source", type=click.Choice(["dataset", "form"]))
@click.argument("name")
@click.option("--format", "fmt", default="csv", show_default=True, type=click.Choice(["csv", "xlsx", "geojson"]))
@click.option("--as", "username", required=True, help="the account whose scope and purpose the export follows")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="where to write (default: ./NAME.EXT)")
@click.option("--shape", type=click.Choice(["odk", "kobo"]), help="forms: ODK Central's (default) or Kobo's columns")
@click.option("--headers", type=click.Choice(["path", "labels"]))
@click.option("--values", type=click.Choice(["codes", "labels"]))
@click.option("--split-select-multiple", is_flag=True, default=None)
def export_command(source: str, name: str, fmt: str, username: str, out: Path | None, shape: str | None,
                   headers: str | None, values: str | None, split_select_multiple: bool | None) -> None:
    """Export a dataset or a form's submissions as the API would for USERNAME (audited the same way)."""
    from server import worker
    from server.accounts.models import User
    from server.db import job_session, make_engine, session_factory
    from server.exports import service
    from server.exports.jobs import run_export
    from server.exports.models import Export

    settings = _settings().with_(redis_url=None)  # run here, not on a worker: the bar follows this process
    engine = make_engine(settings)
    factory = session_factory(engine)
    worker.configure(settings, engine, factory)
    options = {k: v for k, v in (("shape", shape), ("headers", headers), ("values", values),
                                 ("split_select_multiple", split_select_multiple)) if v is not None}
    try:
        with job_session(factory) as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise click.ClickException(f"no user {username}")
            row = service.request_export(session, settings, user, service.ExportRequest(source, name, fmt, options),
                                         datetime.now(UTC))
            session.info.pop("after_commit", None)  # run below with a progress bar instead
            export_id = row.id
        with click.progressbar(length=1, label=f"{source} {name} → {fmt}", show_pos=True) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            run_export(export_id, progress)
        with job_session(factory) as session:
            done = session.get(Export, export_id)
            assert done is not None
            if done.status != "done":
                raise click.ClickException(f"export failed: {done.error}")
            target = out or Path(done.file_name or f"{name}.{fmt}")
            shutil.copyfile(service.file_path(settings, done), target)
            click.echo(f"{done.done} rows → {target}")
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    finally:
        engine.dispose()
