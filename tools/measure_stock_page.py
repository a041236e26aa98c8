"""First contentful paint of the stock page with an empty cache, and the bytes it moved:

python tools/measure_stock_page.py http://127.0.0.1:8000 AAPL
"""

import sys

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
SYMBOL = sys.argv[2] if len(sys.argv) > 2 else "AAPL"

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    for run in range(3):
        context = browser.new_context()  # a new context: an empty cache
        page = context.new_page()
        page.goto(f"{BASE}/stocks/{SYMBOL}/", wait_until="load")
        fcp = page.evaluate(
            "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime"
        )
        moved = page.evaluate(
            """() => performance.getEntriesByType('resource')
                .filter((r) => /\\.(js|css)$/.test(r.name))
                .reduce((n, r) => n + r.transferSize, 0)"""
        )
        print(
            f"run {run + 1}: first contentful paint {fcp:.0f} ms; JS + CSS over the wire {moved / 1024:.1f} KB"
        )
        context.close()
    browser.close()
