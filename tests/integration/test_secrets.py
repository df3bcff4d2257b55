"""No default secrets outside development: every service refuses to start while a secret it uses is empty or
well known (MALL_ENV=development excepted), checked on the settings, in the shared skeleton, and on real
processes started as an operator would."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import secrets
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.fulfilment.settings import FulfilmentSettings
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.marketing.settings import MarketingSettings
from shared.bus import every_queue, queue_names
from shared.settings import InsecureSettings
from tests.conftest import remember_queues

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"gateway": "GatewaySettings", "catalog": "CatalogSettings", "orders": "OrdersSettings",
            "payments": "PaymentsSettings", "marketing": "MarketingSettings", "analytics": "AnalyticsSettings",
            "fulfilment": "FulfilmentSettings", "notifications": "NotificationsSettings"}
OWN_SECRETS = {"gateway": ["MALL_TOKEN_SECRET"], "marketing": ["MALL_QR_SECRET"],
               "fulfilment": ["MALL_KUAIDI100_KEY", "MALL_KUAIDI100_SALT"]}
SECRET_VARIABLES = ("MALL_ENV", "MALL_INTERNAL_TOKEN", "MALL_TOKEN_SECRET", "MALL_TOKEN_SECRET_PREVIOUS",
                    "MALL_QR_SECRET", "MALL_QR_SECRET_PREVIOUS", "MALL_KUAIDI100_KEY", "MALL_KUAIDI100_SALT")


def strong() -> str:
    return secrets.token_urlsafe(32)


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_each_service_names_every_missing_secret_outside_development(service):
    cls = getattr(importlib.import_module(f"services.{service}.settings"), SETTINGS[service])
    with pytest.raises(InsecureSettings) as refused:
        cls(env="production").check_secrets()
    for name in ["MALL_INTERNAL_TOKEN", *OWN_SECRETS.get(service, [])]:
        assert name in str(refused.value)
    cls(env="development").check_secrets()
    fields = {"internal_token": strong(), "token_secret": strong(), "qr_secret": strong(),
              "kuaidi100_key": strong(), "kuaidi100_salt": strong()}
    cls(env="production", **{k: v for k, v in fields.items() if k in cls.model_fields}).check_secrets()


@pytest.mark.parametrize("value", ["mpmall-local-dev-secret-change-me", "dev-internal-token-change-me",
                                   "please-change-me-0123456789abcdef", "short"])
def test_a_known_default_or_weak_secret_is_refused(value):
    with pytest.raises(InsecureSettings):
        GatewaySettings(env="production", internal_token=strong(), token_secret=value).check_secrets()
    with pytest.raises(InsecureSettings):
        MarketingSettings(env="production", internal_token=value, qr_secret=strong()).check_secrets()
    with pytest.raises(InsecureSettings, match="MALL_TOKEN_SECRET_PREVIOUS"):
        GatewaySettings(env="production", internal_token=strong(), token_secret=strong(),
                        token_secret_previous=value).check_secrets()


def test_a_known_default_kuaidi100_salt_is_refused():
    """Anyone who knows the salt can forge tracking pushes (and so mark orders delivered)."""
    good = {"internal_token": strong(), "kuaidi100_key": strong(), "kuaidi100_salt": strong()}
    FulfilmentSettings(env="production", **good).check_secrets()
    for value in ("change-me", "mpmall-local-dev-secret-change-me", "short"):
        with pytest.raises(InsecureSettings, match="MALL_KUAIDI100_SALT"):
            FulfilmentSettings(env="production", **{**good, "kuaidi100_salt": value}).check_secrets()


def test_the_shared_skeleton_refuses_to_build_an_app_with_a_default_secret():
    with pytest.raises(InsecureSettings, match="MALL_TOKEN_SECRET is a known default"):
        create_gateway(GatewaySettings(env="production", internal_token=strong(),
                                       token_secret="mpmall-local-dev-secret-change-me"))


def process_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    return {**env, "PYTHONUNBUFFERED": "1", **values}


async def run_to_exit(module: str, env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, err.decode()


@pytest.mark.parametrize(("service", "named"), [
    ("gateway", ["MALL_TOKEN_SECRET is empty", "MALL_INTERNAL_TOKEN is empty"]),
    ("marketing", ["MALL_QR_SECRET is empty", "MALL_INTERNAL_TOKEN is empty"]),
    ("orders", ["MALL_INTERNAL_TOKEN is empty"]),
    ("fulfilment", ["MALL_KUAIDI100_KEY is empty", "MALL_KUAIDI100_SALT is empty"]),
    ("alipay_sandbox", ["set MALL_ENV=development"]),
    ("logistics_sandbox", ["set MALL_ENV=development"]),
])
async def test_a_service_started_without_its_secrets_exits_with_a_clear_message(service, named):
    code, err = await run_to_exit(f"services.{service}", process_env(MALL_HTTP_PORT=str(free_port())))
    assert code != 0
    assert f"{service} refuses to start" in err
    for text in named:
        assert text in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_same_service_starts_with_mall_env_development(database_url: str, amqp_url: str,
                                                                  bus_prefix: str):
    names = queue_names(bus_prefix, "marketing", [200, 400])
    remember_queues(bus_prefix, every_queue(names))
    port = free_port()
    env = process_env(MALL_ENV="development", MALL_DATABASE_URL=database_url, MALL_AMQP_URL=amqp_url,
                      MALL_BUS_PREFIX=bus_prefix, MALL_RETRY_DELAYS_MS="[200, 400]", MALL_HTTP_PORT=str(port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.marketing", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    try:
        assert await ready(f"http://127.0.0.1:{port}/readyz", process) == 200
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


async def ready(url: str, process: Any, timeout: float = 60) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            if process.returncode is not None:
                err = await process.stderr.read()
                raise AssertionError(f"exited with {process.returncode}: {err.decode()[-2000:]}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url) as answer:
                    if answer.status == 200:
                        return answer.status
            await asyncio.sleep(0.2)
    raise AssertionError("not ready in time")


async def test_the_demo_seed_refuses_to_run_outside_development():
    code, err = await run_to_exit_args(["deploy.admin", "seed"], process_env())
    assert code != 0 and "public passwords" in err


async def run_to_exit_args(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, err.decode()
