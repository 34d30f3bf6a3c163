"""Headless Chromium for the real-browser tests, with the network off (shared helper).

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``make browser``) and the Python
package ``selenium``; :func:`missing` says what is absent so the tests can skip with the reason
(on CI it raises instead).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

CHROMIUM = Path(os.environ.get("ZONING_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("ZONING_CHROMEDRIVER", "/usr/bin/chromedriver"))


def missing(assets: Iterable[str] = ("leaflet.js",)) -> str | None:
    """Why the browser tests cannot run here (a sentence naming the fix), or None.

    On CI (``CI`` set) a reason is an error instead: there ``make test`` installs Chromium
    (``make browser``), and a skip would hide a missing install step.
    """
    reason = _missing(assets)
    if reason is not None and os.environ.get("CI"):
        raise RuntimeError(f"browser tests cannot run on CI: {reason}")
    return reason


def _missing(assets: Iterable[str]) -> str | None:
    from zoning.maps import assets as assets_mod

    if not CHROMIUM.is_file():
        return f"{CHROMIUM} not found: install the Debian package `chromium`"
    if not CHROMEDRIVER.is_file():
        return f"{CHROMEDRIVER} not found: install the Debian package `chromium-driver`"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install selenium"
    for key in assets:
        if not (assets_mod.assets_dir() / key).is_file():
            return f"offline map asset {key} not installed: run `make setup`"
    return None


def start(profile: Path, *, loopback_server: bool = False, width: int = 1280):
    """Start headless Chromium (Selenium) with every request beyond this machine failing.

    No host name resolves and requests go to a dead proxy on 127.0.0.1:9. With
    ``loopback_server`` (a page served by a test server on 127.0.0.1), loopback is reached
    directly; otherwise even loopback goes to the dead proxy (pages are opened from files).
    """
    import pytest
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--metrics-recording-only",
        f"--user-data-dir={profile}",
        "--proxy-server=http://127.0.0.1:9",
        f"--window-size={width},900",
        "--lang=zh-CN",
    ]
    if loopback_server:
        args.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    else:
        args += ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-bypass-list=<-loopback>"]
    for arg in args:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # never let Selenium Manager download anything
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    return driver
