"""Run the application under gunicorn from the ``gridreg serve`` command."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from server.settings import Settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from server.app import create_app

        return create_app(self.settings)


def run_gunicorn(settings: Settings, *, workers: int = 2, host: str = "127.0.0.1") -> None:
    """Serve until interrupted."""
    # reuse_port: each worker listens on its own SO_REUSEPORT socket, so the kernel spreads new
    # connections evenly; on one shared socket, a burst of keep-alive clients could all land on the worker
    # that woke first while the other idled.
    _Gunicorn(settings, {"bind": f"{host}:{settings.port}", "workers": workers, "threads": 4,
                         "accesslog": None, "timeout": 60, "reuse_port": True}).run()
