"""Typed settings, read once from GRIDREG_* environment variables.

This module is the only reader of ``os.environ`` in the application. Tests build
``Settings(...)`` directly; the CLI and the WSGI entry point call
``load_settings(os.environ)`` once and pass the result down.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEMO_SECRET_KEY = "demo-only-secret-key-not-for-production"
# 32 bytes, base64: only ever used when GRIDREG_DEMO=1.
DEMO_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"gridreg-demo-key-not-for-prod!!!").decode()


TILE_CRS = ("wgs84", "gcj02")
# argon2id profiles by name (server/accounts/passwords.py holds their parameters).
PASSWORD_PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")


class SettingsError(RuntimeError):
    """Raised when the environment does not describe a runnable service."""


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its environment."""

    database_url: str
    media_root: Path
    secret_key: str
    encryption_key: str
    redis_url: str | None = None  # None: jobs run inline after commit
    # Retired encryption keys: values sealed under them still open until `gridreg registry rekey` reseals them.
    encryption_keys_old: tuple[str, ...] = ()
    max_upload_bytes: int = 20_000_000
    max_photo_bytes: int = 8_000_000
    max_import_bytes: int = 100_000_000  # one bulk-import file (CSV or XLSX)
    max_photo_pixels: int = 40_000_000
    time_zone: str = "Asia/Shanghai"
    port: int = 8000
    demo: bool = False
    token_ttl_hours: int = 12
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    # argon2id work factors for passwords set from now on: a profile name of server.accounts.passwords.PROFILES.
    password_profile: str = "RFC_9106_LOW_MEMORY"
    log_json: bool = True
    # Base-map tiles for the console's maps ({z}/{x}/{y} URL template); None: vector layers only.
    tile_url: str | None = None
    tile_crs: str = "wgs84"  # "gcj02": the tiles are drawn in GCJ-02, so positions are shifted for display
    tile_attribution: str = ""
    # The monthly report: a period ends on this day of each month (and began the day after it in the
    # month before); its report runs on report_run_day at report_run_time ("HH:MM"), city time.
    report_end_day: int = 25
    report_run_day: int = 25
    report_run_time: str = "18:00"
    exports_dir: Path | None = None  # None: <media_root>/exports
    export_link_ttl_seconds: int = 3600  # how long a signed download link works
    export_retention_hours: int = 24  # finished export files are deleted this long after they were made
    # Webhook URLs on private, loopback or link-local addresses (and plain http) are refused unless this is on:
    # for tests and closed networks only.
    webhooks_allow_private: bool = False
    webhook_max_attempts: int = 10  # a delivery failing this many times becomes a dead letter

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone."""
        return ZoneInfo(self.time_zone)

    @property
    def export_root(self) -> Path:
        """Where export files are written (a settings-configured directory or the media root's exports/)."""
        return self.exports_dir or self.media_root / "exports"

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests, CLI overrides)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _int(env: Mapping[str, str], key: str, default: int, problems: list[str]) -> int:
    raw = env.get(key)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{key} must be an integer, got {raw!r}")
        return default
    if value <= 0:
        problems.append(f"{key} must be positive, got {value}")
    return value


def _flag(env: Mapping[str, str], key: str, problems: list[str]) -> bool:
    raw = (env.get(key) or "0").strip().lower()
    if raw not in ("0", "1", "true", "false", "yes", "no"):
        problems.append(f"{key} must be 1 or 0, got {raw!r}")
    return raw in ("1", "true", "yes")


def _check_key(key: str, problems: list[str], name: str = "GRIDREG_ENCRYPTION_KEY") -> None:
    try:
        raw = base64.urlsafe_b64decode(key.encode() + b"=" * (-len(key) % 4))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        problems.append(f"{name} must be 32 bytes, url-safe base64 encoded")


def _day_of_month(env: Mapping[str, str], key: str, problems: list[str]) -> int:
    value = _int(env, key, 25, problems)
    if not 1 <= value <= 28:
        problems.append(f"{key} must be a day from 1 to 28 (every month has it), got {value}")
    return value


def _clock_time(env: Mapping[str, str], key: str, default: str, problems: list[str]) -> str:
    raw = env.get(key) or default
    try:
        hours, minutes = (int(part) for part in raw.split(":"))
    except ValueError:
        hours = minutes = -1
    if not (0 <= hours <= 23 and 0 <= minutes <= 59 and len(raw.split(":")[1]) == 2):
        problems.append(f"{key} must be a time of day HH:MM, got {raw!r}")
        return default
    return f"{hours:02d}:{minutes:02d}"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment, reporting every problem at once."""
    env = os.environ if env is None else env
    problems: list[str] = []
    demo = env.get("GRIDREG_DEMO", "") in ("1", "true", "yes")
    database_url = env.get("GRIDREG_DATABASE_URL") or ("sqlite:///var/gridreg.sqlite" if demo else "")
    media_root = env.get("GRIDREG_MEDIA_ROOT") or ("media" if demo else "")
    secret_key = env.get("GRIDREG_SECRET_KEY") or (DEMO_SECRET_KEY if demo else "")
    encryption_key = env.get("GRIDREG_ENCRYPTION_KEY") or (DEMO_ENCRYPTION_KEY if demo else "")
    for key, value in (
        ("GRIDREG_DATABASE_URL", database_url),
        ("GRIDREG_MEDIA_ROOT", media_root),
        ("GRIDREG_SECRET_KEY", secret_key),
        ("GRIDREG_ENCRYPTION_KEY", encryption_key),
    ):
        if not value:
            problems.append(f"{key} is required")
    if encryption_key:
        _check_key(encryption_key, problems)
    old_keys = tuple(k.strip() for k in env.get("GRIDREG_ENCRYPTION_KEYS_OLD", "").split(",") if k.strip())
    for i, old in enumerate(old_keys, 1):
        _check_key(old, problems, f"GRIDREG_ENCRYPTION_KEYS_OLD (key {i})")
    time_zone = env.get("GRIDREG_TIME_ZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"GRIDREG_TIME_ZONE is not a known time zone: {time_zone!r}")
    tile_url = env.get("GRIDREG_TILE_URL") or None
    if tile_url and not all(part in tile_url for part in ("{z}", "{x}", "{y}")):
        problems.append(f"GRIDREG_TILE_URL must contain {{z}}, {{x}} and {{y}}, got {tile_url!r}")
    tile_crs = (env.get("GRIDREG_TILE_CRS") or "wgs84").lower()
    if tile_crs not in TILE_CRS:
        problems.append(f"GRIDREG_TILE_CRS must be one of {', '.join(TILE_CRS)}, got {tile_crs!r}")
    password_profile = env.get("GRIDREG_PASSWORD_PROFILE") or "RFC_9106_LOW_MEMORY"
    if password_profile not in PASSWORD_PROFILES:
        problems.append(f"GRIDREG_PASSWORD_PROFILE must be one of {', '.join(PASSWORD_PROFILES)}, "
                        f"got {password_profile!r}")
    settings = Settings(
        database_url=database_url,
        media_root=Path(media_root).resolve() if media_root else Path("."),
        secret_key=secret_key,
        encryption_key=encryption_key,
        encryption_keys_old=old_keys,
        redis_url=env.get("GRIDREG_REDIS_URL") or None,
        max_upload_bytes=_int(env, "GRIDREG_MAX_UPLOAD_BYTES", 20_000_000, problems),
        max_photo_bytes=_int(env, "GRIDREG_MAX_PHOTO_BYTES", 8_000_000, problems),
        max_import_bytes=_int(env, "GRIDREG_MAX_IMPORT_BYTES", 100_000_000, problems),
        time_zone=time_zone,
        port=_int(env, "GRIDREG_PORT", 8000, problems),
        demo=demo,
        token_ttl_hours=_int(env, "GRIDREG_TOKEN_TTL_HOURS", 12, problems),
        password_profile=password_profile,
        log_json=env.get("GRIDREG_LOG_FORMAT", "json") != "text",
        tile_url=tile_url,
        tile_crs=tile_crs,
        tile_attribution=env.get("GRIDREG_TILE_ATTRIBUTION", ""),
        report_end_day=_day_of_month(env, "GRIDREG_REPORT_END_DAY", problems),
        report_run_day=_day_of_month(env, "GRIDREG_REPORT_RUN_DAY", problems),
        report_run_time=_clock_time(env, "GRIDREG_REPORT_RUN_TIME", "18:00", problems),
        exports_dir=Path(env["GRIDREG_EXPORTS_DIR"]).resolve() if env.get("GRIDREG_EXPORTS_DIR") else None,
        export_link_ttl_seconds=_int(env, "GRIDREG_EXPORT_LINK_TTL_SECONDS", 3600, problems),
        export_retention_hours=_int(env, "GRIDREG_EXPORT_RETENTION_HOURS", 24, problems),
        webhooks_allow_private=_flag(env, "GRIDREG_WEBHOOKS_ALLOW_PRIVATE", problems),
        webhook_max_attempts=_int(env, "GRIDREG_WEBHOOK_MAX_ATTEMPTS", 10, problems),
    )
    if problems:
        raise SettingsError("invalid settings: " + "; ".join(problems))
    return settings
