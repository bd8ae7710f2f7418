"""``gridreg import``: import a department's CSV or XLSX file into a dataset, with a progress bar."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import select

from server.cli import _settings, main
from server.errors import AppError


@main.command("import")
@click.argument("dataset")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="the sending system, e.g. police-platform")
@click.option("--mapping", "mapping_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML: file column → dataset property (not needed when the headers are property names)")
@click.option("--encoding", help="utf-8 | gb18030 | gbk (default: detected)")
@click.option("--user", "username", default="admin", show_default=True, help="the administrator importing")
def import_command(dataset: str, file: Path, source: str, mapping_path: Path | None, encoding: str | None,
                   username: str) -> None:
    """Import FILE (.csv or .xlsx) into DATASET through the registry's dedup merge; prints the report."""
    from server import worker
    from server.accounts.models import User
    from server.db import job_session, make_engine, session_factory
    from server.imports import jobs, service

    settings = _settings()
    engine = make_engine(settings)
    factory = session_factory(engine)
    worker.configure(settings, engine, factory)
    try:
        with job_session(factory) as session:
            user = session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
            if user is None:
                raise click.ClickException(f"no active user {username!r}")
            job = service.create_import(
                session, settings, user, dataset=dataset, source=source, filename=file.name,
                data=file.read_bytes(), mapping=mapping_path.read_bytes() if mapping_path else None,
                encoding=encoding, now=datetime.now(UTC), enqueue=False)
            import_id, total = job.id, job.total
        with click.progressbar(length=total, label=f"import {import_id}", show_pos=True) as bar:
            jobs.run_import(import_id, progress=lambda done, _total: bar.update(done - bar.pos))
        with job_session(factory) as session:
            done = session.get(service.ImportJob, import_id)
            assert done is not None
            click.echo(json.dumps(service.view(session, done), ensure_ascii=False, indent=1))
    except AppError as exc:
        detail = json.dumps(exc.errors, ensure_ascii=False) if exc.errors else ""
        raise click.ClickException(f"{exc.code}: {exc.message}\n{detail}".rstrip()) from exc
    finally:
        engine.dispose()
