"""Log in and take Chromium screenshots of back-office pages: python scripts/screenshot.py URL..."""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser import chromium  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("paths", nargs="+", help="paths to capture after logging in")
    parser.add_argument("--email", default="admin@example.com")
    parser.add_argument("--password", default="admin-demo-123")
    parser.add_argument("--out", default="test-artifacts/screens")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(args.base_url + "/admin/login")
        page.screenshot(path=str(out / "login.png"), full_page=True)
        page.fill("#email", args.email)
        page.fill("#password", args.password)
        page.click("button[type=submit]")
        for path in args.paths:
            page.goto(args.base_url + path)
            name = path.strip("/").replace("/", "_") or "root"
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(out / f"{name}.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
