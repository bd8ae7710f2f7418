"""The console is served at /console/ with a revalidated shell, and tells the page the base-map settings."""

from __future__ import annotations

import json

from server.app import create_app


def test_console_shell_and_modules_are_served(client):
    with client.get("/console/") as shell:
        text = shell.get_data(as_text=True)
    assert shell.status_code == 200 and shell.headers["Cache-Control"] == "no-cache"
    assert "<html lang=\"zh-CN\">" in text
    imports = json.loads(text.split('<script type="importmap">')[1].split("</script>")[0])
    assert imports["imports"]["/app/"] == "/m/app/"  # console modules import the phone client's modules
    with client.get("/console/app/main.js") as module:
        module.get_data()
    assert module.status_code == 200 and module.mimetype == "text/javascript"
    assert module.headers.get("ETag") or module.headers.get("Last-Modified")  # revalidated, as on /m/
    assert client.get("/console/nothing-here.js").status_code == 404
    assert client.get("/console/../server/settings.py").status_code == 404


def test_config_without_tiles_by_default(client):
    answer = client.get("/console/config.json")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-cache"
    assert answer.get_json() == {"tile_url": None, "tile_crs": "wgs84", "tile_attribution": ""}


def test_config_names_the_city_tiles_and_their_datum(settings, engine):
    app = create_app(settings.with_(tile_url="http://tiles.city.internal/{z}/{x}/{y}.png", tile_crs="gcj02"),
                     engine=engine)
    answer = app.test_client().get("/console/config.json").get_json()
    assert answer["tile_url"] == "http://tiles.city.internal/{z}/{x}/{y}.png" and answer["tile_crs"] == "gcj02"
