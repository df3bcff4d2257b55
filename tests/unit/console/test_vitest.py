"""The console's own component tests (Vitest, in console/src: money, the product form's yuan→fen, the
sign-in form's errors) run as one test of the suite, so `./deploy/test.sh` (pytest) is the one command that
runs everything and a Vitest failure fails it like any other test. deploy/test.sh installs the console's
packages first (deploy/build-console.sh)."""

import shutil
import subprocess
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[3] / "console"


def test_the_consoles_vitest_suite_passes():
    npm = shutil.which("npm")
    if npm is None or not (CONSOLE / "node_modules" / ".bin" / "vitest").exists():
        pytest.fail("The console's packages are not installed: run `bash deploy/build-console.sh`")
    done = subprocess.run([npm, "test", "--silent", "--", "--reporter=dot"], cwd=CONSOLE, capture_output=True,
                          text=True, timeout=1800)  # 6-7 min alone; longer beside the rest of the suite
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-4000:]
    assert " passed" in done.stdout and " failed" not in done.stdout, done.stdout[-3000:]
