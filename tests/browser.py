"""What the browser tests share: Debian's Chromium (never `playwright install`) and the console's build."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CONSOLE_BUILD = Path(__file__).resolve().parents[1] / "console" / "dist"


def require_chromium() -> None:
    """Fail loudly (never skip): a console nobody looked at is not done."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: run `apt-get update && apt-get install -y chromium` "
                    "(the console tests drive /usr/bin/chromium; `playwright install` is not used)")


def require_console_build() -> None:
    if not (CONSOLE_BUILD / "index.html").is_file():
        pytest.fail("The merchant console is not built: run `bash deploy/build-console.sh` "
                    "(./deploy/test.sh does it before the tests)")
