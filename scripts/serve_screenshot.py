"""Take the README screenshot of ``zoning serve`` (``docs/serve-page.png``).

Starts the server on loopback with the demo catalogue, opens the page in headless Chromium
(network off), puts demo site S1 on the map as a drawn polygon, screens it as a solar-PV farm
and saves the window. Usage: ``python scripts/serve_screenshot.py [OUT.png]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import Select

    from zoning.serve import ServeConfig, create_app
    from zoning.serve.live import running

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "serve-page.png"
    s1 = json.loads((ROOT / "scenarios" / "demo_sites.geojson").read_text(encoding="utf-8"))
    ring = s1["features"][0]["geometry"]["coordinates"][0]
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="zoning-shot-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--window-size=1400,860",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    with running(create_app(ServeConfig())) as url:
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        try:
            driver.get(url + "/")
            for _ in range(300):
                if driver.execute_script("return document.body.dataset.ready === 'true'"):
                    break
                time.sleep(0.1)
            driver.find_element("id", "type-search").send_keys("光伏")
            Select(driver.find_element("id", "type")).select_by_value("solar_pv")
            driver.execute_script(
                "const p = window.zoningPage; const ring = arguments[0].map(c => [c[1], c[0]]);"
                "p.drawn.addLayer(L.polygon(ring, {color: '#1f78b4', weight: 3}));"
                "p.map.setView(L.polygon(ring).getBounds().getCenter(), 13, {animate: false});"
                "p.map.fire(L.Draw.Event.EDITED);",
                ring,
            )
            driver.find_element("id", "screen").click()
            for _ in range(300):
                if driver.execute_script("return !!document.querySelector('#cards .card')"):
                    break
                time.sleep(0.1)
            time.sleep(1.0)
            driver.execute_script(
                "document.getElementById('panel').scrollTop = "
                "document.getElementById('result').offsetTop - 60;"
            )
            time.sleep(0.3)
            driver.save_screenshot(str(out))
        finally:
            driver.quit()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
