"""Browser tests: Debian's Chromium, driven by Playwright, against the real service.

One ``gridreg serve`` runs for the whole session on a fresh demo database (see
tests/support/live_server.py); each test gets a fresh browser context (its own IndexedDB, caches and
service worker) sized like a 360x740 phone, in zh-CN and Asia/Shanghai, with a mocked
GPS fix near Xinzheng; the supervisors' console gets a desktop context at 1366x768 instead
(``console``). These tests never use the ``backend`` parametrisation nor the
``db``/``app`` fixtures, and they fail (never skip) when Chromium is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.browser.client import login
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, context_options
from tests.support.live_server import LiveServer, ServiceError

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium (Playwright's own browser download cannot work here)."""
    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium and "
                    "fonts-noto-cjk (`make test` installs them; or apt-get install chromium fonts-noto-cjk; "
                    "GRIDREG_TEST_CHROMIUM=/path overrides the path)", pytrace=False)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real service (gunicorn, one worker) on a free port with the Xinzheng demo loaded."""
    server = LiveServer(tmp_path_factory.mktemp("browser-service"))
    try:
        server.start()
        for user in ("admin", "worker"):  # log in before the browser writes (see live_server.token)
            server.token(user)
    except ServiceError as exc:
        pytest.fail(f"could not start the service for the browser tests: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"the browser tests need the playwright package (pip install -e '.[dev]'): {exc}", pytrace=False)
    pw = sync_playwright().start()
    try:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()
    finally:
        pw.stop()


@contextmanager
def failing_on_script_errors(pg: Any, where: str) -> Iterator[Any]:
    """The page, and once the block ends, a failure naming every uncaught script error it had."""
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    assert not errors, f"uncaught errors in {where}: {errors}"


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh phone profile: empty IndexedDB, caches and service worker registrations."""
    ctx = browser.new_context(**context_options(live_server.url))
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A page that fails the test on any uncaught script error."""
    with failing_on_script_errors(context.new_page(), "the page") as pg:
        yield pg


@pytest.fixture
def worker_page(page: Any) -> Any:
    """The client logged in as the demo grid worker, showing the form list."""
    login(page, "worker")
    return page


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Any, str], Path]:
    """Save a screenshot of the page to tests/artifacts/screenshots/<name>.png (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        return path

    return take


CONSOLE_VIEWPORT = {"width": 1366, "height": 768}
CONSOLE_SCREENSHOTS = SCREENSHOTS / "console"


@pytest.fixture
def console(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A supervisor's desktop browser profile at 1366x768 (the console's design size)."""
    live_server.token("supervisor")  # log in before the browser writes (see live_server.token)
    ctx = browser.new_context(base_url=live_server.url, viewport=CONSOLE_VIEWPORT, device_scale_factor=1,
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def console_page(console: Any) -> Iterator[Any]:
    """A console tab that fails the test on any uncaught script error."""
    with failing_on_script_errors(console.new_page(), "the console") as pg:
        yield pg


@pytest.fixture(scope="session")
def console_screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot of a console screen to tests/artifacts/screenshots/console/<name>.png."""
    CONSOLE_SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = CONSOLE_SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        return path

    return take
