"""The rendered overlays (tests/unit/deploy/kustomize.py) validated offline against the Kubernetes API's own
JSON schemas, as `kubernetes-validate` (PyPI) ships them, in their strict form (an unknown or misspelt field
fails). The operators' resources (CloudNativePG's Cluster and Pooler, RabbitMQ's RabbitmqCluster) have no
schema there: they are checked by test_k8s.py's assertions only, and any other kind without a schema fails."""

from __future__ import annotations

import functools
from pathlib import Path

import kubernetes_validate
import kubernetes_validate.utils
import pytest

from tests.unit.deploy.kustomize import render

K8S = Path(__file__).resolve().parents[3] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.31"  # the oldest release the manifests are meant for (HPA v2, PDB v1, Ingress v1)
OPERATOR_KINDS = {("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "Pooler"),
                  ("rabbitmq.com/v1beta1", "RabbitmqCluster")}
BACKUPS = ("postgresql.cnpg.io/v1", "ScheduledBackup")  # production's nightly base backup
# It reads and parses the (large) schema files again for every document: once is enough (about 4x faster).
kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_rendered_manifest_is_valid_against_the_kubernetes_schemas(overlay: str):
    docs = render(K8S / "overlays" / overlay)
    without_schema, errors = set(), []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            without_schema.add((doc["apiVersion"], doc["kind"]))
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {error.message}")
    assert errors == []
    assert without_schema == OPERATOR_KINDS | ({BACKUPS} if overlay == "prod" else set())
    assert len(docs) > 40  # the whole mall was rendered, not an empty list


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
