"""deploy/build-console.sh run for real on a copy of the console's files, with npm and apt-get stubbed (the
stub npm writes what the real one would: the installed-packages marker, the build). Repeated runs must be
cheap: npm ci only when the lock file changed, the build only when something it reads changed."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ["package.json", "package-lock.json", "index.html", "vite.config.ts", "tsconfig.json", "src/main.tsx",
           "src/money.test.ts"]
NPM = """#!/bin/sh
echo "npm $*" >> "$CALLS"
case "$1" in
  ci) mkdir -p node_modules && touch node_modules/.package-lock.json ;;
  run) mkdir -p dist && touch dist/index.html ;;
esac
"""


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "deploy").mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "build-console.sh", repo / "deploy" / "build-console.sh")
    for name in SOURCES:
        (repo / "console" / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / "console" / name).write_text("x")
    age(repo / "console", 1_000)
    return repo


def age(folder: Path, seconds: int) -> None:
    """Every file under folder `seconds` in the past (mtimes, as a checkout long ago would leave them)."""
    for path in folder.rglob("*"):
        stat = path.stat()
        os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def run(tmp_path: Path, repo: Path, *, node: bool = True) -> list[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stubs = {"npm": NPM, "sudo": '#!/bin/sh\nexec "$@"\n', "apt-get": '#!/bin/sh\necho "apt-get $*" >> "$CALLS"\n'}
    if node:
        stubs["node"] = "#!/bin/sh\nexit 0\n"
    for name, body in stubs.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    calls = tmp_path / "calls.log"
    calls.write_text("")
    tools = tmp_path / "tools"  # the few real tools the script and stubs use: no real node or npm leaks in
    tools.mkdir(exist_ok=True)
    for tool in ["find", "id", "dirname", "mkdir", "touch"]:
        if not (tools / tool).exists():
            (tools / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    env = {"PATH": f"{bin_dir}:{tools}", "CALLS": str(calls), "HOME": str(tmp_path)}
    done = subprocess.run([shutil.which("bash") or "/bin/bash", str(repo / "deploy" / "build-console.sh")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    return calls.read_text().splitlines()


def test_a_fresh_checkout_installs_and_builds_then_a_second_run_does_nothing(tmp_path):
    repo = make_repo(tmp_path)
    assert run(tmp_path, repo) == ["npm ci --no-audit --no-fund --loglevel=error", "npm run build --silent"]
    assert run(tmp_path, repo) == []


def test_a_changed_source_rebuilds_without_reinstalling_and_a_changed_test_does_neither(tmp_path):
    repo = make_repo(tmp_path)
    run(tmp_path, repo)
    age(repo / "console", 100)  # the install and build happened a while ago
    (repo / "console" / "src" / "money.test.ts").write_text("changed test")
    assert run(tmp_path, repo) == []
    (repo / "console" / "src" / "main.tsx").write_text("changed")
    assert run(tmp_path, repo) == ["npm run build --silent"]


def test_a_changed_lock_file_reinstalls_and_rebuilds(tmp_path):
    repo = make_repo(tmp_path)
    run(tmp_path, repo)
    age(repo / "console", 100)
    (repo / "console" / "package-lock.json").write_text("upgraded")
    assert run(tmp_path, repo) == ["npm ci --no-audit --no-fund --loglevel=error", "npm run build --silent"]


def test_node_is_installed_with_apt_get_where_missing(tmp_path):
    repo = make_repo(tmp_path)
    calls = run(tmp_path, repo, node=False)
    assert calls[:2] == ["apt-get update -qq", "apt-get install -y -qq nodejs npm"]
