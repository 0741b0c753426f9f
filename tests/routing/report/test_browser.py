"""The built-in report in a real browser (Debian's chromium, headless, through playwright): the map and
every section draw, the console stays clean, and the page asks the network for nothing.

Skipped when chromium or playwright is missing, unless ``NEARSHORE_REQUIRE_BROWSER=1`` (CI sets it),
which turns the skip into a failure. ``NEARSHORE_SCREENSHOT=PATH`` also saves the page's screenshot
there (the README's docs/report.png).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SECTIONS = ("summary", "map", "lanes", "bottlenecks", "compare", "batch", "disrupt", "provenance")
MIN_INK_SHARE = 0.05  # share of a drawn area's pixels that differ from its background colour


def _browser_or_skip():
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem, sync_playwright = "playwright is not installed (pip install 'nearshore[test]')", None
    if CHROMIUM is None:
        problem = "chromium is not installed (apt-get install -y chromium)"
    if problem:
        if os.environ.get("NEARSHORE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"NEARSHORE_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    return sync_playwright


def ink_share(png: bytes) -> float:
    """Share of the image's pixels that differ from its most common colour."""
    from io import BytesIO

    from matplotlib.image import imread

    rgb = (imread(BytesIO(png), format="png")[..., :3] * 255).astype(np.uint32).reshape(-1, 3)
    colour = rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2]  # one integer per pixel: a 1-D unique, not rows
    colours, counts = np.unique(colour, return_counts=True)
    return float((colour != colours[np.argmax(counts)]).mean())


@pytest.mark.slow
def test_report_renders_offline_in_chromium(full_page, tmp_path):
    sync_playwright = _browser_or_skip()
    page_file = tmp_path / "report.html"
    page_file.write_text(full_page, encoding="utf-8")
    url = page_file.as_uri()
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            page.wait_for_selector("body[data-ready='1']", timeout=10_000)
            shares = {s: ink_share(page.locator(f"section#{s}").screenshot()) for s in SECTIONS}
            map_share = ink_share(page.locator("svg#map-svg").screenshot())
            page.locator("#map [data-t='crossings']").last.hover(force=True)
            tip = page.locator("#tip").inner_text()
            shot = page.screenshot(full_page=False)
        finally:
            browser.close()
    assert errors == []
    assert [r for r in requests if r != url] == []
    assert map_share >= MIN_INK_SHARE, f"the map drew {map_share:.1%} non-background pixels"
    assert all(v >= MIN_INK_SHARE / 5 for v in shares.values()), shares
    assert "crossing" in tip and "utilisation" in tip
    target = os.environ.get("NEARSHORE_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_bytes(shot)
