"""The ``gridreg`` command: database, geography, users, demo, serving.

Each command reads Settings once from the environment, opens one session and
commits once, like a request.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

from server.errors import AppError
from server.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def cli_session() -> Iterator[tuple[Session, Settings]]:
    """One session and transaction for one command; domain errors print cleanly."""
    from server.db import job_session, make_engine, session_factory

    settings = _settings()
    engine = make_engine(settings)
    try:
        with job_session(session_factory(engine)) as session:
            yield session, settings
    except AppError as exc:
        detail = json.dumps(exc.errors, ensure_ascii=False, indent=1) if exc.errors else ""
        raise click.ClickException(f"{exc.code}: {exc.message}\n{detail}".rstrip()) from exc
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """gridreg: grid-based registry of ethnic-minority migrant residents."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from server import migrate
    from server.db import make_engine

    engine = make_engine(_settings())
    migrate.upgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine)}")
    engine.dispose()


@main.group()
def geo() -> None:
    """Admin units and grids."""


@geo.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def geo_import(path: Path) -> None:
    """Import admin units from a GeoJSON FeatureCollection (all or nothing)."""
    from server.geo.service import import_units

    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"geo.invalid_file: {path} is not JSON: {exc}") from exc
    with cli_session() as (session, _):
        units = import_units(session, collection)
    click.echo(f"imported {len(units)} admin units")


@main.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(
    ["admin", "form_designer", "supervisor", "grid_worker", "department"]))
@click.option("--unit", "units", multiple=True, help="admin unit code the user is scoped to (repeatable)")
@click.option("--name", "display_name", default=None)
@click.option("--department", default=None)
@click.password_option()
def users_create(username: str, role: str, units: tuple[str, ...], display_name: str | None,
                 department: str | None, password: str) -> None:
    """Create a user scoped to one or more admin units."""
    from server.accounts.service import create_user

    with cli_session() as (session, settings):
        create_user(session, username=username, password=password, role=role, unit_codes=units,
                    display_name=display_name, department=department, password_profile=settings.password_profile)
    click.echo(f"created {username}")


@users.command("list")
def users_list() -> None:
    """List users with role, scope and state."""
    from server.accounts.service import list_users

    with cli_session() as (session, _):
        for user in list_users(session):
            scope = ",".join(s.unit.code for s in user.scopes) or "*"
            state = "active" if user.is_active else "disabled"
            click.echo(f"{user.username}\t{user.role}\t{scope}\t{state}")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable a user and revoke their tokens."""
    from server.accounts.service import set_user_active

    with cli_session() as (session, _):
        set_user_active(session, username, False)
    click.echo(f"disabled {username}")


@users.command("token")
@click.argument("username")
@click.option("--label", required=True, help="what the token is for, e.g. the department system")
def users_token(username: str, label: str) -> None:
    """Issue a long-lived API token for a department account (printed once)."""
    from server.accounts.service import issue_api_token

    with cli_session() as (session, _):
        token = issue_api_token(session, username, label)
    click.echo(f"{token.access_token}\texpires {token.expires_at.isoformat()}")


@main.group()
def forms() -> None:
    """XLSForm forms."""


@forms.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--draft", is_flag=True, help="leave new versions as drafts instead of publishing them")
@click.option("--datasets", "datasets_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="dataset declarations to apply first (default: DIRECTORY/datasets.yaml if present)")
def forms_load(directory: Path, draft: bool, datasets_path: Path | None) -> None:
    """Apply the dataset declarations, then upload every .xlsx workbook in DIRECTORY and publish new versions."""
    from server.forms.service import load_directory
    from server.registry.declare import apply_file

    declared = datasets_path or (directory / "datasets.yaml")
    with cli_session() as (session, _):
        changes = apply_file(session, declared) if declared.exists() else []
        results = load_directory(session, directory, publish_drafts=not draft)
    for change in changes:
        state = "changed" if change.changed else "unchanged"
        click.echo(f"dataset {change.dataset}\tversion {change.version}\t{state}")
    for result in results:
        click.echo(f"{result.form_id}\t{result.version}\t{result.state}\t{'new' if result.created else 'unchanged'}")


@main.group()
def demo() -> None:
    """The Xinzheng demo."""


@demo.command("load")
def demo_load() -> None:
    """Load demo geography and accounts (GRIDREG_DEMO=1 only)."""
    from server.demo import DemoRefused, load_demo
    from server.forms.service import CITY_FORMS, load_directory

    try:
        with cli_session() as (session, settings):
            summary = load_demo(session, settings)
            forms_loaded = load_directory(session, CITY_FORMS)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"demo: {summary.units_created} units, users created: {', '.join(summary.users_created) or 'none'}, "
               f"forms: {', '.join(f'{r.form_id}@{r.version}' for r in forms_loaded)}")


@main.command("serve")
@click.option("--workers", default=2, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on: this machine only by default; 0.0.0.0 for every interface")
def serve(workers: int, host: str) -> None:
    """Serve the web application with gunicorn on HOST:GRIDREG_PORT (127.0.0.1 unless --host says otherwise)."""
    from server.serve import run_gunicorn

    run_gunicorn(_settings(), workers=workers, host=host)


def _register_commands() -> None:
    """Commands that live beside their contexts."""
    import server.audit.cli  # noqa: F401  (registers audit on main)
    import server.exports.cli  # noqa: F401  (registers export on main)
    import server.imports.cli  # noqa: F401  (registers import on main)
    import server.jobs_cli  # noqa: F401  (registers worker and jobs on main)
    import server.registry.cli  # noqa: F401  (registers registry on main)
    import server.reports.cli  # noqa: F401  (registers reports on main)
    from server.forms.eval_cli import eval_command

    main.add_command(eval_command, "eval")


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
