"""deploy/k8s is checked without a cluster or kubectl: every YAML file is loaded with PyYAML and the facts an
operator relies on are asserted on the documents (no Kustomize rendering)."""

import re
from pathlib import Path

import yaml

from deploy.local import SERVICES

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
MALL_SERVICES = [s for s in SERVICES if not s.endswith("_sandbox")]  # stand-ins, dev only
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|PRIVATE_KEY")


def documents(under: Path = K8S) -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(under.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path, doc))
    return found


def manifests(kind: str, under: Path = K8S) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for path, doc in documents(under)
            if doc.get("kind") == kind and path.name != "kustomization.yaml"}


def containers(pod_spec: dict) -> list[dict]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def test_every_service_has_deployment_service_pdb_and_hpa_with_probes_resources_and_graceful_stop():
    base = K8S / "base"
    deployments, services = manifests("Deployment", base), manifests("Service", base)
    pdbs, hpas = manifests("PodDisruptionBudget", base), manifests("HorizontalPodAutoscaler", base)
    for name in MALL_SERVICES:
        pod = deployments[name]["spec"]["template"]["spec"]
        main = next(c for c in pod["containers"] if c["name"] == name)
        assert main["command"] == ["python", "-m", f"services.{name}"]
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        ready = main["readinessProbe"]
        if name == "gateway":  # /readyz wants the token, read from the environment, not written here
            assert "/readyz" in ready["exec"]["command"][-1]
            assert "os.environ['MALL_INTERNAL_TOKEN']" in ready["exec"]["command"][-1]
        else:
            assert ready["httpGet"]["path"] == "/readyz", name
        assert {"cpu", "memory"} <= set(main["resources"]["requests"]) and main["resources"]["limits"]["memory"]
        # Above the services' own 15 s shutdown (shared/service.py) plus the preStop drain.
        sleep = int(main["lifecycle"]["preStop"]["exec"]["command"][-1])
        assert pod["terminationGracePeriodSeconds"] > 15 + sleep and sleep > 0
        assert services[name]["spec"]["selector"] == {"app.kubernetes.io/name": name}
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        assert hpas[name]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert pod["initContainers"][0]["command"][-1] == name  # waits for the bootstrap Job's schema


def test_no_secret_in_base_or_prod_has_data_and_no_env_writes_a_secret():
    for overlay in (K8S / "base", K8S / "overlays" / "prod"):
        assert manifests("Secret", overlay) == {}  # none: created by the operator (README.md)
        for path, doc in documents(overlay):
            if path.name == "kustomization.yaml":
                assert "secretGenerator" not in doc, path
    for path, doc in documents():
        pod = (doc.get("spec", {}).get("template") or {}).get("spec")
        for container in containers(pod) if pod and "containers" in pod else []:
            for var in container.get("env", []):
                if SECRET_NAME.search(var["name"]):
                    assert "valueFrom" in var and "value" not in var, f"{path}: {var['name']}"
                elif re.match(r"^\w+://[^/]*:[^/@]*@", str(var.get("value", ""))):  # credentials in a URL
                    assert re.match(r"^\w+://[^/]*:\$\(\w+\)@", var["value"]), f"{path}: {var['name']}"


def test_dev_secrets_cannot_pass_outside_development():
    from shared.settings import secret_problem

    dev = yaml.safe_load((K8S / "overlays" / "dev" / "kustomization.yaml").read_text())
    for generator in dev["secretGenerator"]:
        for literal in generator["literals"]:
            key, value = literal.split("=", 1)
            assert secret_problem(value) == "is a known default", key


def test_the_alipay_sandbox_and_development_mode_appear_only_in_dev():
    for path in K8S.rglob("*.yaml"):
        text = path.read_text()
        if "overlays/dev" not in path.as_posix():
            assert "sandbox" not in text.lower() and "development" not in text, path
    dev = yaml.safe_load((K8S / "overlays" / "dev" / "kustomization.yaml").read_text())
    assert "MALL_ENV=development" in dev["configMapGenerator"][0]["literals"]
    for name in ("alipay-sandbox", "logistics-sandbox"):
        sandbox = manifests("Deployment", K8S / "overlays" / "dev")[name]
        env = {v["name"]: v.get("value") for v in sandbox["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["MALL_ENV"] == "development"


def test_dev_tracks_parcels_at_the_logistics_sandbox_which_pushes_to_the_gateway():
    dev = yaml.safe_load((K8S / "overlays" / "dev" / "kustomization.yaml").read_text())
    literals = dict(entry.split("=", 1) for entry in dev["configMapGenerator"][0]["literals"])
    assert literals["MALL_KUAIDI100_URL"] == "http://logistics-sandbox:8080/poll"
    assert literals["MALL_KUAIDI100_CALLBACK_URL"] == "http://gateway:8080/api/logistics/notify"
    assert "logistics-sandbox.yaml" in dev["resources"]
    overlay = K8S / "overlays" / "dev"
    container = manifests("Deployment", overlay)["logistics-sandbox"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "services.logistics_sandbox"]
    key = next(v for v in container["env"] if v["name"] == "MALL_KUAIDI100_KEY")  # the key fulfilment sends
    assert key["valueFrom"]["secretKeyRef"] == {"name": "mall-secrets", "key": "MALL_KUAIDI100_KEY"}
    assert manifests("Service", overlay)["logistics-sandbox"]["spec"]["ports"][0]["port"] == 8080
    policies = manifests("NetworkPolicy", overlay)
    only_fulfilment = policies["logistics-sandbox"]["spec"]["ingress"][0]["from"]
    assert only_fulfilment == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "fulfilment"}}}]
    pushes = policies["gateway-from-logistics-sandbox"]["spec"]
    assert pushes["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "gateway"}
    assert pushes["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "logistics-sandbox"}}}]


def test_network_policies_let_only_the_gateway_reach_the_services_and_only_the_ingress_reach_the_gateway():
    policies = manifests("NetworkPolicy", K8S / "base")
    for name in MALL_SERVICES:
        policy = policies[name]
        assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        sources = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        if name == "gateway":
            assert sources == [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "ingress-nginx"}}}]
        else:
            assert sources == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}], name
    for server in ("mall-db", "mall-db-pooler", "mall-bus"):
        assert server in policies


def test_services_use_the_operators_database_and_broker():
    base = K8S / "base"
    assert manifests("Cluster", base)["mall-db"]["spec"]["instances"] == 2
    assert manifests("Pooler", base)["mall-db-pooler"]["spec"]["cluster"]["name"] == "mall-db"
    assert manifests("RabbitmqCluster", base)["mall-bus"]["spec"]["replicas"] == 3
    config = manifests("ConfigMap", base)["mall-config"]["data"]
    assert "@mall-db-pooler:" in config["MALL_DATABASE_URL"]
    job = manifests("Job", base)["mall-bootstrap"]["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["python", "-m", "deploy.admin", "bootstrap"]
    for name in MALL_SERVICES:
        env = manifests("Deployment", base)[name]["spec"]["template"]["spec"]["containers"][0]["env"]
        refs = {v["name"]: v.get("valueFrom", {}).get("secretKeyRef", {}).get("name") for v in env}
        assert refs["RABBITMQ_PASSWORD"] == "mall-bus-default-user"
        assert "@mall-bus:5672" in next(v["value"] for v in env if v["name"] == "MALL_AMQP_URL")


def test_kustomizations_reference_only_files_that_exist():
    kustomizations = list(K8S.rglob("kustomization.yaml"))
    assert {p.parent.relative_to(K8S).as_posix() for p in kustomizations} == {"base", "overlays/dev",
                                                                             "overlays/prod"}
    for path in kustomizations:
        spec = yaml.safe_load(path.read_text())
        for entry in spec.get("resources", []):
            assert (path.parent / entry).exists(), f"{path}: {entry}"
    listed = {(K8S / "base" / e).resolve() for e in yaml.safe_load(
        (K8S / "base" / "kustomization.yaml").read_text())["resources"]}
    assert set((K8S / "base").rglob("*.yaml")) - {K8S / "base" / "kustomization.yaml"} <= listed
