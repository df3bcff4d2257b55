"""docker-compose.yml and the Dockerfile are checked without a Docker engine: against the Compose
Specification's JSON schema (vendored in deploy/), and against what the runner knows of the services."""

import json
import re
from pathlib import Path

import jsonschema_rs
import yaml

from deploy.local import SERVICES
from services.gateway.settings import CLIENT_DIR

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
    internal = [n for n in SERVICES if n not in ("gateway", "alipay_sandbox", "logistics_sandbox")]  # dev only
    assert all("ports" not in services[n] for n in internal), "only the gateway is public"


def test_every_url_and_key_variable_points_at_a_compose_service():
    spec = compose()
    env = spec["x-service"]["environment"]
    for key, value in env.items():
        host = re.match(r"^\w+://(?:[^@/]*@)?([\w-]+):", str(value))
        if host:
            assert host.group(1) in spec["services"], f"{key} points at {host.group(1)}"


def test_dockerfile_copies_what_exists():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, flags=re.M)
    sources = [path for line in copied for path in line.split()]
    assert sources and all((ROOT / path).exists() for path in sources), sources


def test_the_image_has_the_console_built_where_the_gateway_looks():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+(?: AS (\w+))?$", dockerfile, flags=re.M)
    assert stages == ["console", "client", ""]  # node builds them, the service image only receives dist/
    assert re.search(r"^COPY --from=console /console/dist \./console/dist$", dockerfile, flags=re.M)
    assert (ROOT / "console" / "package-lock.json").exists()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"console/node_modules", "console/dist"} <= set(ignored)


def test_the_image_has_the_client_built_where_the_gateway_looks():
    """/m/ works in compose and Kubernetes: the H5 build sits at the gateway's default MALL_CLIENT_DIR."""
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert re.search(r"^RUN bash deploy/build-client\.sh h5$", dockerfile, flags=re.M)
    assert re.search(r"^COPY --from=client /mall/client/dist/h5 \./client/dist/h5$", dockerfile, flags=re.M)
    assert CLIENT_DIR == ROOT / "client" / "dist" / "h5"  # /app/client/dist/h5 in the image
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"client/node_modules", "client/dist"} <= set(ignored)


SECRET_NAME = re.compile(r"(SECRET|TOKEN|PASS|PASSWORD|PRIVATE_KEY)(_PREVIOUS)?$")
INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def secret_settings() -> list[tuple[str, str, str]]:
    """(where, variable, value) of every environment entry that is a secret, in every service."""
    spec = compose()
    found = []
    for name, service in [("x-service", spec["x-service"]), *spec["services"].items()]:
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                found.append((name, key, str(value)))
    return found


def test_no_secret_has_a_default_value():
    settings = secret_settings()
    assert {key for _, key, _ in settings} >= {"MALL_TOKEN_SECRET", "MALL_QR_SECRET", "MALL_INTERNAL_TOKEN",
                                               "POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_PASS"}
    for where, key, value in settings:
        used = INTERPOLATION.fullmatch(value)
        assert used, f"{where}.{key} is written in the file: {value!r}"
        variable, operator, default = used.groups()
        if variable.endswith("_PREVIOUS"):  # optional during a rotation, and then only from .env
            assert operator in (":-", "-") and default == "", f"{where}.{key} has a default"
        else:
            assert operator == ":?", f"{where}.{key} must fail when unset, not fall back to {default!r}"
    # Secrets inside other values (the connection URLs) too.
    for match in INTERPOLATION.finditer((ROOT / "docker-compose.yml").read_text()):
        variable, operator, default = match.groups()
        if SECRET_NAME.search(variable) and not variable.endswith("_PREVIOUS"):
            assert operator == ":?", f"${{{variable}}} has a default {default!r}"


def test_env_example_lists_every_required_variable_and_env_is_not_committed():
    required = {m.group(1) for m in INTERPOLATION.finditer((ROOT / "docker-compose.yml").read_text())
                if m.group(2) == ":?"}
    example = (ROOT / ".env.example").read_text()
    assert all(re.search(rf"^{name}=", example, flags=re.M) for name in required), required
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_the_alipay_sandbox_and_the_demo_seed_run_and_publish_only_in_the_dev_profile():
    services = compose()["services"]
    for name in ("alipay_sandbox", "logistics_sandbox"):
        assert all(p.startswith("127.0.0.1:") for p in services[name]["ports"])
    # A fake Alipay; a fake 快递100; staff accounts with public passwords.
    for dev_only in ("alipay_sandbox", "logistics_sandbox", "seed"):
        assert services[dev_only]["profiles"] == ["dev"]
        assert services[dev_only]["environment"]["MALL_ENV"] == "development"
    for name, spec in services.items():
        if name not in ("alipay_sandbox", "logistics_sandbox", "seed"):
            assert "profiles" not in spec and "alipay_sandbox" not in spec.get("depends_on", {}), name
            assert (spec.get("environment") or {}).get("MALL_ENV") != "development", name
            assert all(p == "8080:8080" or p.startswith("127.0.0.1:") for p in spec.get("ports", [])), name
