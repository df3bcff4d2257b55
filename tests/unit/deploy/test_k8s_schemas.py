"""The rendered overlays (tests/unit/deploy/kustomize.py) validated offline: the core kinds against the
Kubernetes API's own JSON schemas, as `kubernetes-validate` (PyPI) ships them, in their strict form (an unknown or
misspelt field fails); the operators' resources (CloudNativePG's Cluster, Pooler and ScheduledBackup,
RabbitMQ's RabbitmqCluster), which have no schema there, against our own schemas of the subset the mall uses
(deploy/k8s/operators.schema.json, closed at every level). A kind with neither schema fails."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import kubernetes_validate
import kubernetes_validate.utils
import pytest

from tests.unit.deploy.kustomize import render

K8S = Path(__file__).resolve().parents[3] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31"  # the oldest release the manifests are meant for (HPA v2, PDB v1, Ingress v1)
OPERATOR_KINDS = {("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "Pooler"),
                  ("rabbitmq.com/v1beta1", "RabbitmqCluster")}
BACKUPS = ("postgresql.cnpg.io/v1", "ScheduledBackup")  # production's nightly base backup
OPERATOR_SCHEMAS = json.loads((K8S / "operators.schema.json").read_text())
# It reads and parses the (large) schema files again for every document: once is enough (about 4x faster).
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)


@functools.cache
def operator_validator(kind: str) -> jsonschema_rs.Draft202012Validator:
    """The schema of one operator kind: its entry of $defs, with the shared definitions beside it."""
    return jsonschema_rs.Draft202012Validator({**OPERATOR_SCHEMAS, "$ref": f"#/$defs/{kind}"})


def operator_errors(doc: dict[str, Any]) -> list[str]:
    errors = operator_validator(doc["kind"]).iter_errors(doc)
    return [f"{'.'.join(map(str, e.instance_path))}: {e.message}" for e in errors]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_rendered_manifest_is_valid_against_the_kubernetes_or_the_operators_schemas(overlay: str):
    docs = render(K8S / "overlays" / overlay)
    against_operators, errors = set(), []
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            assert doc["kind"] in OPERATOR_SCHEMAS["$defs"], f"{name}: no schema for {doc['apiVersion']}"
            against_operators.add((doc["apiVersion"], doc["kind"]))
            errors += [f"{name}: {error}" for error in operator_errors(doc)]
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            errors.append(f"{name}: {path}: {error.message}")
    assert errors == []
    assert against_operators == OPERATOR_KINDS | ({BACKUPS} if overlay == "prod" else set())
    assert len(docs) > 40  # the whole mall was rendered, not an empty list


@functools.cache
def production_operator_documents() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in render(K8S / "overlays" / "prod") if d["kind"] in OPERATOR_SCHEMAS["$defs"]}


def rename(path: str, new_name: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            doc = doc[part]
        doc[new_name] = doc.pop(last)
    return change


def put(path: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            doc = doc[part]
        doc[last] = value
    return change


@pytest.mark.parametrize(("kind", "change", "where"), [
    pytest.param("Cluster", rename("spec.storage.size", "sise"), "spec.storage", id="Cluster storage.sise"),
    pytest.param("Cluster", rename("spec.enableSuperuserAccess", "enableSuperUserAccess"), "spec",
                 id="Cluster enableSuperUserAccess"),
    pytest.param("Cluster", put("spec.instances", "2"), "spec.instances", id="Cluster instances a string"),
    pytest.param("Cluster", put("spec.postgresql.parameters.max_connections", 340),
                 "spec.postgresql.parameters.max_connections", id="Cluster a PostgreSQL parameter not a string"),
    pytest.param("Cluster", put("spec.backup.retentionPolicy", "30 days"), "spec.backup.retentionPolicy",
                 id="Cluster retentionPolicy '30 days'"),
    pytest.param("Cluster", put("spec.backup.barmanObjectStore.wal.compression", "zip"),
                 "spec.backup.barmanObjectStore.wal.compression", id="Cluster WAL compression zip"),
    pytest.param("Cluster", put("spec.resources.limits.memory", "2 GB"), "spec.resources.limits.memory",
                 id="Cluster memory '2 GB'"),
    pytest.param("Pooler", rename("spec.pgbouncer.poolMode", "pool_mode"), "spec.pgbouncer",
                 id="Pooler pgbouncer.pool_mode"),
    pytest.param("Pooler", put("spec.pgbouncer.poolMode", "statement"), "spec.pgbouncer.poolMode",
                 id="Pooler poolMode statement"),
    pytest.param("Pooler", put("spec.instances", 2.5), "spec.instances", id="Pooler instances 2.5"),
    pytest.param("Pooler", rename("spec.cluster", "clusterRef"), "spec", id="Pooler without its cluster"),
    pytest.param("ScheduledBackup", put("spec.schedule", "0 3 * * *"), "spec.schedule",
                 id="ScheduledBackup five-field schedule"),
    pytest.param("ScheduledBackup", put("spec.backupOwnerReference", "owner"), "spec.backupOwnerReference",
                 id="ScheduledBackup backupOwnerReference owner"),
    pytest.param("RabbitmqCluster", rename("spec.replicas", "replica"), "spec", id="RabbitmqCluster replica"),
    pytest.param("RabbitmqCluster", put("spec.replicas", "3"), "spec.replicas", id="RabbitmqCluster replicas '3'"),
    pytest.param("RabbitmqCluster", rename("spec.persistence.storage", "storageSize"), "spec.persistence",
                 id="RabbitmqCluster persistence.storageSize"),
    pytest.param("RabbitmqCluster", rename("metadata.name", "nmae"), "metadata", id="RabbitmqCluster metadata.nmae"),
])
def test_the_operators_schemas_refuse_a_misspelt_field_a_wrong_type_or_value(kind: str, change: Any, where: str):
    doc = copy.deepcopy(production_operator_documents()[kind])
    assert operator_errors(doc) == []
    change(doc)
    errors = operator_errors(doc)
    assert errors and all(error.startswith(f"{where}: ") for error in errors), errors


def test_the_dev_overlay_traces_to_its_jaeger():
    docs = render(K8S / "overlays" / "dev")
    [config] = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "mall-config"]
    [jaeger] = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "jaeger"]
    otlp = next(p["port"] for p in jaeger["spec"]["ports"] if p["name"] == "otlp-http")
    assert config["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://jaeger:{otlp}"
    prod = render(K8S / "overlays" / "prod")
    assert not [d for d in prod if d["metadata"]["name"] == "jaeger"]  # production sends to its own collector


def test_production_archives_the_wal_and_takes_a_nightly_base_backup_with_keys_from_a_secret():
    prod = render(K8S / "overlays" / "prod")
    [cluster] = [d for d in prod if d["kind"] == "Cluster"]
    backup = cluster["spec"]["backup"]
    store = backup["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://") and backup["retentionPolicy"] == "30d"
    keys = store["s3Credentials"]
    assert {ref["name"] for ref in keys.values()} == {"mall-db-backup"}  # references only, never a value
    [nightly] = [d for d in prod if d["kind"] == "ScheduledBackup"]
    assert nightly["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert len(nightly["spec"]["schedule"].split()) == 6  # CloudNativePG's cron has a seconds field
    dev = render(K8S / "overlays" / "dev")
    assert not [d for d in dev if d["kind"] == "ScheduledBackup"]
    assert "backup" not in [d for d in dev if d["kind"] == "Cluster"][0]["spec"]  # a dev cluster keeps no backups
