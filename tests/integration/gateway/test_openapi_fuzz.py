"""Schemathesis against /api/openapi.json, with the real services (and the Alipay sandbox) in-process behind
the gateway: no 5xx, and every answer (status, content type, headers, body) as the document says."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.gateway.app import create_app
from services.gateway.auth import Identity, issue_token
from tests.integration.gateway.conftest import Mall
from tests.integration.gateway.support import staff_token, user_token

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "negative_data_rejection", "ignored_auth", "missing_required_header"])
MAX_EXAMPLES = int(os.environ.get("MALL_FUZZ_EXAMPLES", "20"))
MAX_SECONDS = int(os.environ.get("MALL_FUZZ_SECONDS", "35"))


@pytest.fixture
async def fuzz_gateway(mall: Mall, start_app: Any) -> Mall:
    """A second gateway on the same services with limits that fuzzing won't hit."""
    settings = mall.settings.model_copy(update={"rate_user_limit": 1_000_000, "rate_ip_limit": 1_000_000,
                                                "login_ip_failures": 1_000_000})
    gateway = await start_app(create_app(settings))
    return Mall(gateway, settings, mall.services, mall.sandbox)


# Operations that need payments; while that service is not in the tree they can only answer 503.
NEEDS_PAYMENTS = ["pay", "installment_plans", "alipay_notify"]


async def run_schemathesis(base: str, token: str, tag_regex: str, report: Path, exclude: bool,
                           skip: list[str]) -> tuple[int, str]:
    st = shutil.which("st") or str(Path(os.sys.executable).parent / "st")
    args = [st, "run", f"{base}/api/openapi.json", "--url", base, "--checks", CHECKS,
            "--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_SECONDS), "--workers", "1",
            "--phases", "examples,coverage,fuzzing", "--seed", "7", "--request-timeout", "10",
            "-H", f"Authorization: Bearer {token}", "--report", "junit", "--report-junit-path", str(report),
            "--suppress-health-check", "all", "--no-color",
            "--exclude-tag-regex" if exclude else "--include-tag-regex", tag_regex]
    for operation_id in skip:
        args += ["--exclude-operation-id", operation_id]
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode(errors="replace")


async def test_the_document_matches_what_is_served(fuzz_gateway: Mall, output_dir: Path):
    base = str(fuzz_gateway.gateway.make_url("")).rstrip("/")
    settings = fuzz_gateway.settings
    skip = [] if "payments" in fuzz_gateway.services else list(NEEDS_PAYMENTS)
    skip += ["logout", "staff_logout"]  # they would end the one session each run's token belongs to
    skip += ["merchant_alerts_stream"]  # it stays open by design (tests/integration/gateway/test_alerts.py)
    conn = await asyncpg.connect(settings.own_dsn)  # operators exist only when made (deploy.admin in real life)
    try:
        await conn.execute("INSERT INTO gateway.operators (username) VALUES ('op_fuzz')")
    finally:
        await conn.close()
    operator = issue_token(settings.token_secret, Identity(kind="operator", subject="op_fuzz"), 600)
    runs = {"buyer": run_schemathesis(base, user_token(settings, "u_fuzz"), "^(merchant|platform)$",
                                      output_dir / "fuzz-buyer.xml", exclude=True, skip=skip),
            "merchant": run_schemathesis(base, staff_token(settings), "^merchant$", output_dir / "fuzz-merchant.xml",
                                         exclude=False, skip=skip),
            "platform": run_schemathesis(base, operator, "^platform$", output_dir / "fuzz-platform.xml",
                                         exclude=False, skip=skip)}
    for (name, (code, out)) in zip(runs, await asyncio.gather(*runs.values()), strict=True):
        (output_dir / f"fuzz-{name}.txt").write_text(out)
        assert code == 0, out[-6000:]
