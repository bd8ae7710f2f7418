"""``gridreg audit list``: the audit trail on the command line, with the API's filters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from server.cli import cli_session, main


def _aware(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date-time", param_hint=name) from exc
    if parsed.tzinfo is None:
        raise click.BadParameter("give the offset, e.g. 2026-12-07T08:00:00+08:00", param_hint=name)
    return parsed


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("list")
@click.option("--actor", help="username")
@click.option("--action", help="exact action, or a prefix ending in * (registry.*)")
@click.option("--target-type")
@click.option("--target", help="target id, also found among the records a list or export revealed")
@click.option("--since", help="inclusive ISO 8601 date-time with offset")
@click.option("--until", help="exclusive ISO 8601 date-time with offset")
@click.option("--full-reads", is_flag=True, help="only reads that showed sensitive values unmasked")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--cursor", help="the next_cursor a previous page printed")
def audit_list(actor: str | None, action: str | None, target_type: str | None, target: str | None,
               since: str | None, until: str | None, full_reads: bool, limit: int, cursor: str | None) -> None:
    """Audit events, newest first, one JSON object a line; the last line holds next_cursor when there is more."""
    from server.audit.queries import list_events

    args: dict[str, Any] = {"actor": actor, "action": action, "target_type": target_type, "target": target,
                            "since": _aware(since, "--since"), "until": _aware(until, "--until"),
                            "full_reads": full_reads, "limit": limit, "cursor": cursor}
    with cli_session() as (session, _):
        page = list_events(session, args)
        for item in page.items:
            click.echo(json.dumps({**item, "at": item["at"].isoformat()}, ensure_ascii=False, sort_keys=True))
    if page.next_cursor:
        click.echo(json.dumps({"next_cursor": page.next_cursor}))
