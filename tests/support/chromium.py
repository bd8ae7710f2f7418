"""Debian's Chromium as the browser tests and benchmarks/render.py drive it, and the phone it plays."""

from __future__ import annotations

import os
from typing import Any

CHROMIUM = os.environ.get("GRIDREG_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 360, "height": 740}
XINZHENG_FIX = {"latitude": 34.40, "longitude": 113.74, "accuracy": 8}


def context_options(base_url: str) -> dict[str, Any]:
    """A mid-range Android phone in Xinzheng."""
    return dict(base_url=base_url, viewport=VIEWPORT, device_scale_factor=1, is_mobile=True, has_touch=True,
                locale="zh-CN", timezone_id="Asia/Shanghai", permissions=["geolocation"], geolocation=XINZHENG_FIX)
