"""Screenshots of a running site, desktop and phone, for the README and docs/:

python tools/screenshot.py http://127.0.0.1:8000 docs/screenshots
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
PAGES = {
    "stock": "/stocks/AAPL/",
    "markets": "/",
    "portfolio": "/portfolio/",
    "orders": "/orders/",
    "activity": "/activity/",
    "auctions": "/auctions/",
}
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}

OUT.mkdir(parents=True, exist_ok=True)
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    for size, (width, height) in SIZES.items():
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{BASE}/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", "demo-pass-123")
        page.click("button[type=submit]")
        for name, path in PAGES.items():
            page.goto(f"{BASE}{path}")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=size == "phone")
        page.close()
    browser.close()
