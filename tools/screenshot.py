"""Screenshots of a running site, every page at desktop and phone size, dark and light (the
system's colour scheme), for the README and docs/:

python tools/screenshot.py http://127.0.0.1:8000 docs/screenshots

Dark is `NAME-SIZE.png`, light `NAME-SIZE-light.png`.
"""

import sys
from pathlib import Path
from typing import Literal

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
    "auction": None,  # the first live auction, found on /auctions/
    "my-auctions": "/auctions/mine/",
    "alerts": "/alerts/",
    "notifications": "/notifications/",
    "api-keys": "/settings/api-keys/",
    "api-docs": "/api/docs/",
}
SIGNED_OUT = {"login": "/login/", "sign-up": "/signup/"}
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
SCHEMES: dict[Literal["dark", "light"], str] = {"dark": "", "light": "-light"}

OUT.mkdir(parents=True, exist_ok=True)
with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    for scheme, suffix in SCHEMES.items():
        for size, (width, height) in SIZES.items():
            context = browser.new_context(
                viewport={"width": width, "height": height}, color_scheme=scheme
            )
            page = context.new_page()
            for name, path in SIGNED_OUT.items():
                page.goto(f"{BASE}{path}")
                page.wait_for_timeout(500)
                page.screenshot(path=str(OUT / f"{name}-{size}{suffix}.png"))
            page.goto(f"{BASE}/login/")
            page.fill("#id_username", "alice")
            page.fill("#id_password", "demo-pass-123")
            page.click("button[type=submit]")
            for name, path in PAGES.items():
                if path is None:
                    page.goto(f"{BASE}/auctions/")
                    path = page.get_attribute("#auction-index a[href^='/auctions/']", "href")
                page.goto(f"{BASE}{path}")
                page.wait_for_timeout(2000)
                page.screenshot(
                    path=str(OUT / f"{name}-{size}{suffix}.png"), full_page=size == "phone"
                )
            context.close()
    browser.close()
