"""Settings come from GRIDREG_* variables, all problems reported at once."""

from __future__ import annotations

import base64

import pytest

from server.settings import SettingsError, load_settings

KEY = base64.urlsafe_b64encode(b"x" * 32).decode()


def test_every_missing_setting_is_named():
    with pytest.raises(SettingsError) as err:
        load_settings({})
    for name in ("GRIDREG_DATABASE_URL", "GRIDREG_MEDIA_ROOT", "GRIDREG_SECRET_KEY", "GRIDREG_ENCRYPTION_KEY"):
        assert name in str(err.value)


def test_defaults_and_types(tmp_path):
    settings = load_settings({
        "GRIDREG_DATABASE_URL": "postgresql+psycopg://x/y", "GRIDREG_MEDIA_ROOT": str(tmp_path),
        "GRIDREG_SECRET_KEY": "s", "GRIDREG_ENCRYPTION_KEY": KEY, "GRIDREG_REDIS_URL": "redis://h:6379/0",
        "GRIDREG_PORT": "9000",
    })
    assert settings.port == 9000
    assert settings.time_zone == "Asia/Shanghai"
    assert settings.redis_url == "redis://h:6379/0"
    assert settings.media_root == tmp_path.resolve()
    assert not settings.database_url.startswith("sqlite")


def test_no_redis_means_inline_jobs(tmp_path):
    settings = load_settings({"GRIDREG_DEMO": "1", "GRIDREG_MEDIA_ROOT": str(tmp_path)})
    assert settings.redis_url is None and settings.database_url.startswith("sqlite") and settings.demo


def test_bad_values_are_all_reported():
    with pytest.raises(SettingsError) as err:
        load_settings({"GRIDREG_DEMO": "1", "GRIDREG_PORT": "eighty", "GRIDREG_TIME_ZONE": "Mars/Base",
                       "GRIDREG_ENCRYPTION_KEY": "short", "GRIDREG_MAX_UPLOAD_BYTES": "-1"})
    message = str(err.value)
    for fragment in ("GRIDREG_PORT", "GRIDREG_TIME_ZONE", "GRIDREG_ENCRYPTION_KEY", "GRIDREG_MAX_UPLOAD_BYTES"):
        assert fragment in message


def test_base_map_tiles_are_off_unless_configured(tmp_path):
    plain = load_settings({"GRIDREG_DEMO": "1", "GRIDREG_MEDIA_ROOT": str(tmp_path)})
    assert plain.tile_url is None and plain.tile_crs == "wgs84"
    city = load_settings({"GRIDREG_DEMO": "1", "GRIDREG_MEDIA_ROOT": str(tmp_path),
                          "GRIDREG_TILE_URL": "http://gis.city/{z}/{x}/{y}.png", "GRIDREG_TILE_CRS": "GCJ02"})
    assert city.tile_url == "http://gis.city/{z}/{x}/{y}.png" and city.tile_crs == "gcj02"
    with pytest.raises(SettingsError) as err:
        load_settings({"GRIDREG_DEMO": "1", "GRIDREG_TILE_URL": "http://gis.city/tile.png",
                       "GRIDREG_TILE_CRS": "bd09"})
    assert "GRIDREG_TILE_URL" in str(err.value) and "GRIDREG_TILE_CRS" in str(err.value)


def test_exports_directory_and_link_lifetimes(tmp_path):
    base = {"GRIDREG_DATABASE_URL": "sqlite:///x", "GRIDREG_MEDIA_ROOT": str(tmp_path), "GRIDREG_SECRET_KEY": "s",
            "GRIDREG_ENCRYPTION_KEY": KEY}
    settings = load_settings(base)
    assert settings.export_root == tmp_path.resolve() / "exports"
    assert (settings.export_link_ttl_seconds, settings.export_retention_hours) == (3600, 24)
    settings = load_settings({**base, "GRIDREG_EXPORTS_DIR": str(tmp_path / "out"),
                              "GRIDREG_EXPORT_LINK_TTL_SECONDS": "600", "GRIDREG_EXPORT_RETENTION_HOURS": "2"})
    assert settings.export_root == (tmp_path / "out").resolve()
    assert (settings.export_link_ttl_seconds, settings.export_retention_hours) == (600, 2)
    with pytest.raises(SettingsError, match="GRIDREG_EXPORT_LINK_TTL_SECONDS"):
        load_settings({**base, "GRIDREG_EXPORT_LINK_TTL_SECONDS": "soon"})


def test_webhooks_refuse_private_addresses_unless_allowed(tmp_path):
    base = {"GRIDREG_DATABASE_URL": "sqlite:///x", "GRIDREG_MEDIA_ROOT": str(tmp_path), "GRIDREG_SECRET_KEY": "s",
            "GRIDREG_ENCRYPTION_KEY": KEY}
    settings = load_settings(base)
    assert (settings.webhooks_allow_private, settings.webhook_max_attempts) == (False, 10)
    settings = load_settings({**base, "GRIDREG_WEBHOOKS_ALLOW_PRIVATE": "1", "GRIDREG_WEBHOOK_MAX_ATTEMPTS": "3"})
    assert (settings.webhooks_allow_private, settings.webhook_max_attempts) == (True, 3)
    with pytest.raises(SettingsError, match="GRIDREG_WEBHOOKS_ALLOW_PRIVATE must be 1 or 0"):
        load_settings({**base, "GRIDREG_WEBHOOKS_ALLOW_PRIVATE": "maybe"})
    with pytest.raises(SettingsError, match="GRIDREG_WEBHOOK_MAX_ATTEMPTS"):
        load_settings({**base, "GRIDREG_WEBHOOK_MAX_ATTEMPTS": "0"})
