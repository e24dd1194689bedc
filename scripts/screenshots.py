"""Screenshots of the demo shop for the README, taken in headless Chromium.

Starts the demo the way a new user does (``python -m examples.demo_shop`` on a fresh instance
folder and a free port, see ``examples/demo_shop/launch.py``), then drives it as a shopper
and as the merchant and writes into ``docs/screenshots/``:

- ``listing.png``: the catalogue, every listing with its trace badge;
- ``widget-dialog.png``: the badge's dialog with the lot's supply-chain timeline;
- ``trace-phone.png``: a unit's trace page on a phone (390 x 844), as a scan of its QR opens it;
- ``admin-dashboard.png``: the merchant admin's dashboard after signing in.

Run from the project root: ``.venv/bin/python scripts/screenshots.py [--lang en|zh-CN]
[--out DIR]``. Needs Chromium at /usr/bin/chromium and Playwright (the ``dev`` extra).
Chinese pages need CJK fonts (Debian: ``apt-get install fonts-noto-cjk``); without them the
script refuses ``--lang zh-CN``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.demo_shop.launch import RunningDemo, python_command, running_demo  # noqa: E402
from tests._browser import CHROMIUM, chromium  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
WORDS = {
    "en": {
        "traceable": "Traceable",
        "close": "Close",
        "email": "E-mail",
        "password": "Password",
        "sign_in": "Sign in",
        "dashboard": "Dashboard",
        "catalogue": "Our goods",
    },
    "zh-CN": {
        "traceable": "可追溯",
        "close": "关闭",
        "email": "电子邮箱",
        "password": "密码",
        "sign_in": "登录",
        "dashboard": "概览",
        "catalogue": "全部商品",
    },
}


def has_cjk_fonts() -> bool:
    """Whether fontconfig knows a font for Chinese (else Chinese text shows as boxes)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def _page(browser: Any, lang: str, **options: Any) -> Any:
    context = browser.new_context(locale="zh-CN" if lang == "zh-CN" else "en-GB", **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def listing_and_dialog(browser: Any, demo: RunningDemo, lang: str, out: Path) -> None:
    """The catalogue with its badges, then the tea's badge opened."""
    words = WORDS[lang]
    page = _page(browser, lang, viewport=DESKTOP)
    page.goto(f"{demo.origin}/?lang={lang}")
    badges = page.get_by_role("button", name=words["traceable"])
    badges.first.wait_for()
    page.wait_for_function("document.querySelectorAll('shoptrace-badge').length === 4")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "listing.png"), full_page=True)
    badges.first.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    dialog.get_by_role("button", name=words["close"]).wait_for()
    page.wait_for_timeout(300)  # the dialog's opening transition
    page.screenshot(path=str(out / "widget-dialog.png"))
    page.context.close()


def trace_on_a_phone(browser: Any, demo: RunningDemo, lang: str, out: Path) -> None:
    """A sold unit's trace page as a phone shows it after scanning the pack's QR code."""
    page = _page(
        browser, lang, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page.goto(f"{demo.unit_url}?lang={lang}")
    page.locator("main").wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "trace-phone.png"))
    page.context.close()


def admin_dashboard(browser: Any, demo: RunningDemo, lang: str, out: Path) -> None:
    """The merchant signs in through the shop and lands on the admin's dashboard."""
    words = WORDS[lang]
    email, password = demo.merchant_login
    page = _page(browser, lang, viewport=DESKTOP)
    page.goto(f"{demo.admin_url}?lang={lang}")
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"]).fill(password)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.get_by_role("heading", name=words["dashboard"]).wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "admin-dashboard.png"), full_page=True)
    page.context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=sorted(WORDS), default="en")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default: {OUT})")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        parser.error(f"needs Chromium at {CHROMIUM}")
    if args.lang == "zh-CN" and not has_cjk_fonts():
        parser.error("Chinese screenshots need CJK fonts (apt-get install fonts-noto-cjk)")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shoptrace-screenshots-") as scratch:
        with running_demo(Path(scratch) / "instance", command=python_command()) as demo:
            with chromium() as browser:
                listing_and_dialog(browser, demo, args.lang, args.out)
                trace_on_a_phone(browser, demo, args.lang, args.out)
                admin_dashboard(browser, demo, args.lang, args.out)
    for name in ("listing", "widget-dialog", "trace-phone", "admin-dashboard"):
        path = args.out / f"{name}.png"
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
