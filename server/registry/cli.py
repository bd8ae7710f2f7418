"""``gridreg registry``: registry maintenance commands (key rotation)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from server.cli import _settings, main
from server.errors import AppError


@main.group()
def registry() -> None:
    """The registry of persons and households."""


@registry.command("rekey")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="rows per transaction")
@click.option("--check", is_flag=True, help="only count what is still sealed or hashed under a retired key")
def rekey_command(batch: int, check: bool) -> None:
    """Reseal every ID and phone number under the current GRIDREG_ENCRYPTION_KEY.

    Registry records and their versions first, then submissions: sealed answers
    and raw submission files are resealed too. Old tokens must open: their keys
    stay in GRIDREG_ENCRYPTION_KEYS_OLD until this reports nothing left. Safe to
    interrupt and run again.
    """
    from server import worker
    from server.db import job_session, make_engine, session_factory
    from server.registry.rekey import rekey
    from server.sealing.crypto import Sealer
    from server.sealing.rekeying import BatchResult

    settings = _settings()
    engine = make_engine(settings)
    factory = session_factory(engine)
    worker.configure(settings, engine, factory)  # steps of other contexts read settings (the media store)

    @contextmanager
    def open_session() -> Iterator[Session]:
        with job_session(factory) as session:
            yield session

    def progress(result: BatchResult) -> None:
        if result.changed or check:
            verb = "need" if check else "rewrote"
            click.echo(f"{result.table}: up to id {result.last_id}, {verb} {result.changed} of {result.scanned}")

    try:
        report = rekey(open_session, Sealer.from_settings(settings), batch=batch, write=not check, progress=progress)
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    finally:
        engine.dispose()
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if check and report.remaining:
        raise click.ClickException(f"{report.remaining} rows still use a retired key: run `gridreg registry rekey`")
