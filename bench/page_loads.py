"""How long each page takes to load for a signed-in user (navigation start to the load event,
a new browser context each run, so an empty cache), against a running site (`make run`):

python bench/page_loads.py http://127.0.0.1:8000 [runs]

Prints each page's median and worst of the runs, and the machine's load average.
"""

import os
import statistics
import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
PAGES = [
    "/",
    "/stocks/AAPL/",
    "/portfolio/",
    "/orders/",
    "/activity/",
    "/auctions/",
    "/auctions/mine/",
    "/settings/api-keys/",
]

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    login = browser.new_context()
    page = login.new_page()
    page.goto(f"{BASE}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "demo-pass-123")
    page.click("button[type=submit]")
    cookies = login.cookies()
    login.close()
    times: dict[str, list[float]] = {path: [] for path in PAGES}
    for _ in range(RUNS):
        for path in PAGES:
            context = browser.new_context()
            context.add_cookies(cookies)
            page = context.new_page()
            page.goto(f"{BASE}{path}", wait_until="load")
            times[path].append(
                page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return n.loadEventEnd - n.startTime; }"
                )
            )
            context.close()
    browser.close()
print(f"load average {os.getloadavg()[0]:.2f}, {RUNS} runs a page, empty cache each run")
for path, ms in times.items():
    print(f"{path:24} median {statistics.median(ms):6.0f} ms   worst {max(ms):6.0f} ms")
