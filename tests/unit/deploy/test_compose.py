"""docker-compose.yml and the Dockerfile are checked without a Docker engine: against the Compose
Specification's JSON schema (vendored in deploy/), and against what the runner knows of the services."""

import json
import re
from pathlib import Path

import jsonschema_rs
import yaml

from deploy.local import SERVICES

ROOT = Path(__file__).resolve().parents[3]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_follows_the_compose_specification():
    schema = json.loads((ROOT / "deploy" / "compose-spec.schema.json").read_text())
    validator = jsonschema_rs.Draft201909Validator(schema)
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []


def test_every_service_runs_in_compose_with_servers_and_bootstrap_before_it():
    services = compose()["services"]
    for name in SERVICES:
        assert services[name]["command"] == ["python", "-m", f"services.{name}"], name
        depends = services[name]["depends_on"]
        assert depends["bootstrap"]["condition"] == "service_completed_successfully"
    for name, spec in services.items():
        for needed in spec.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown {needed}"
    assert "8080:8080" in services["gateway"]["ports"]
    internal = [n for n in SERVICES if n not in ("gateway", "alipay_sandbox")]
    assert all("ports" not in services[n] for n in internal), "only the gateway is public"


def test_every_url_and_key_variable_points_at_a_compose_service():
    spec = compose()
    env = spec["x-service"]["environment"]
    for key, value in env.items():
        host = re.match(r"^\w+://(?:[^@/]*@)?([\w-]+):", str(value))
        if host:
            assert host.group(1) in spec["services"], f"{key} points at {host.group(1)}"


def test_dockerfile_copies_what_exists():
    copied = re.findall(r"^COPY (\S+)", (ROOT / "deploy" / "Dockerfile").read_text(), flags=re.M)
    assert copied and all((ROOT / path).exists() for path in copied)
