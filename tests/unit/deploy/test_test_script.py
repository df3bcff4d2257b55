"""deploy/test.sh run for real with its servers, Python and apt-get stubbed: it installs a CJK font (so the
console screenshot shows Chinese, not boxes) only when fontconfig knows none."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

STUBS = {
    "python": "exit 0",  # the pytest run the script ends with
    "sudo": 'exec "$@"',
    "apt-get": 'echo "$*" >> "$APT_LOG"',
    "fc-list": 'printf "%s" "$FONTS"',
}


def run_script(tmp_path: Path, fonts: str) -> list[str]:
    deploy = tmp_path / "repo" / "deploy"
    deploy.mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "test.sh", deploy / "test.sh")
    (deploy / "python-env.sh").write_text("")
    (deploy / "ensure-servers.sh").write_text("")
    (deploy / "build-client.sh").write_text("")  # the mini-program's builds
    (deploy / "build-console.sh").write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        stub = bin_dir / name
        stub.write_text(f"#!/bin/sh\n{body}\n")
        stub.chmod(0o755)
    log = tmp_path / "apt.log"
    log.touch()
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "APT_LOG": str(log), "FONTS": fonts}
    done = subprocess.run(["bash", str(deploy / "test.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    return [line for line in log.read_text().splitlines() if "chromium" not in line]


def test_a_cjk_font_is_installed_when_none_is_known(tmp_path):
    calls = run_script(tmp_path, fonts="")
    assert calls == ["update -qq", "install -y -qq fonts-wqy-zenhei"]


def test_nothing_is_installed_when_a_cjk_font_exists(tmp_path):
    fonts = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc: WenQuanYi Zen Hei:style=Regular\n" * 50
    assert run_script(tmp_path, fonts=fonts) == []
