"""Developer tool: screenshots of pages, as a user sees them, in headless Chromium.

    .venv/bin/python -m tests.shot --login anna --out /tmp/shots / /search?q=bygg /companies/5

Builds the kit's sample (scale 1, today 2025-06-16) once under /tmp/crm-lite-shot-kit, serves
the app with the tests' fixed clock on a free port, signs in and saves ``<name>-1280.png`` and
``<name>-375.png`` for every path.
"""

from __future__ import annotations

import argparse
import re
import threading
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def serve(app):
    """Serve ``app`` on a free loopback port in a thread; returns (server, base_url)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main(argv=None) -> None:
    from playwright.sync_api import sync_playwright

    from adapters.clock import FixedClock
    from config.settings import Settings
    from config.wiring import build_services
    from views import create_app

    from .kit import NOW_UTC, build_sqlite

    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--login", default="anna")
    ap.add_argument("--out", default="/tmp/shots")
    ap.add_argument("--lang", default="sv")
    args = ap.parse_args(argv)
    work = Path("/tmp/crm-lite-shot-kit")
    if not (work / "classic.db").exists():
        build_sqlite(work)
    url = f"sqlite:///{work / 'classic.db'}"
    settings = Settings.for_tests(database_url=url, state_url=f"sqlite:///{work / 'state.db'}",
                                  file_store=str(work / "files"), login_rate_limit="1000 per minute")
    app = create_app(settings, build_services(settings, clock=FixedClock(NOW_UTC)))
    server, base = serve(app)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(locale="sv-SE" if args.lang == "sv" else "en-GB")
        page = ctx.new_page()
        page.goto(base + "/login")
        page.fill("#login", args.login)
        page.fill("#password", "classic")
        page.click("button[type=submit].primary")
        for path in args.paths:
            name = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "root"
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(base + path)
                page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
                print(out / f"{name}-{width}.png")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
