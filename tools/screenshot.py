"""Take screenshots of a running site for the README: python tools/screenshot.py http://127.0.0.1:8000"""

import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = sys.argv[2] if len(sys.argv) > 2 else "docs"

with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{BASE}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    page.goto(f"{BASE}/stocks/AAPL/")
    page.wait_for_timeout(1500)
    page.screenshot(path=f"{OUT}/stock-page.png", full_page=True)
    page.goto(f"{BASE}/")
    page.screenshot(path=f"{OUT}/markets.png")
    page.goto(f"{BASE}/portfolio/")
    page.screenshot(path=f"{OUT}/portfolio.png", full_page=True)
    browser.close()
