"""The mini-program (client/): its unit tests (Vitest: the Alipay adapter, money display, error sentences)
and type check pass, and its Alipay build is what a merchant can open in Alipay's developer tool and
upload: every page the app declares is built, and the main package is within Alipay's 2 MB limit."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client"
ALIPAY = CLIENT / "dist" / "alipay"
MAIN_PACKAGE_LIMIT = 2 * 1024 * 1024  # Alipay's limit for a mini-program's main package
PAGE_FILES = (".axml", ".js", ".json")  # template, logic, page config of each page


@pytest.fixture(scope="module")
def alipay_build() -> Path:
    """The Alipay build, made by deploy/build-client.sh (skipped when up to date)."""
    subprocess.run(["bash", str(ROOT / "deploy" / "build-client.sh"), "alipay"], check=True, timeout=1500)
    return ALIPAY


def npx(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["npx", "--no-install", *command], cwd=CLIENT, capture_output=True, text=True, timeout=600)


def declared_pages() -> list[str]:
    source = (CLIENT / "src" / "app.config.ts").read_text()
    listed = re.search(r"pages: \[(.*?)\]", source, re.S)
    assert listed, "app.config.ts lists its pages"
    return re.findall(r"'(pages/[a-z-]+/index)'", listed.group(1))


def test_unit_tests_pass(alipay_build: Path):
    result = npx("vitest", "run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed" not in result.stdout.lower(), result.stdout


def test_types_check(alipay_build: Path):
    result = npx("tsc", "--noEmit", "-p", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alipay_build_has_every_page(alipay_build: Path):
    app = json.loads((alipay_build / "app.json").read_text())
    pages = declared_pages()
    assert len(pages) >= 14 and app["pages"] == pages  # home first: what Alipay opens
    assert [item["pagePath"] for item in app["tabBar"]["items"]] == [
        "pages/home/index", "pages/cart/index", "pages/orders/index", "pages/me/index"]
    assert "subPackages" not in app and "subpackages" not in app  # everything is in the main package
    for page in pages:
        for suffix in PAGE_FILES:
            assert (alipay_build / f"{page}{suffix}").is_file(), f"{page}{suffix}"
        config = json.loads((alipay_build / f"{page}.json").read_text())
        assert re.search(r"[\u4e00-\u9fff]", config.get("defaultTitle", "")), (page, config)  # a Chinese title


def test_the_main_package_is_within_alipays_limit(alipay_build: Path):
    size = sum(f.stat().st_size for f in alipay_build.rglob("*") if f.is_file())
    print(f"\nAlipay main package: {size} bytes ({size / MAIN_PACKAGE_LIMIT:.0%} of 2 MB)")
    assert 0 < size <= MAIN_PACKAGE_LIMIT, size
