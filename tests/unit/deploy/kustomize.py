"""A small Kustomize renderer for the tests, limited to what deploy/k8s uses: `resources` (files and
directories), `namespace`, `images`, `patches` (inline JSON 6902 with a target by kind, name or label
selector), `configMapGenerator` (merge) and `secretGenerator` (literals). Anything else in a kustomization
is refused, so a new feature there fails here rather than being silently skipped. No kubectl or kustomize
binary is needed (none comes from Debian's packages)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "images", "patches", "configMapGenerator",
             "secretGenerator"}
CLUSTER_SCOPED = {"Namespace"}


def render(directory: Path) -> list[dict[str, Any]]:
    """The documents `kubectl kustomize <directory>` would print (same content, not the same order)."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - SUPPORTED
    assert not unknown, f"{directory}: this renderer does not know {sorted(unknown)}"
    docs: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            docs += render(path)
        else:
            docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for generator in spec.get("configMapGenerator", []):
        _generate(docs, "ConfigMap", generator)
    for generator in spec.get("secretGenerator", []):
        _generate(docs, "Secret", generator)
    for patch in spec.get("patches", []):
        operations = yaml.safe_load(patch["patch"])
        targets = [doc for doc in docs if _matches(doc, patch["target"])]
        assert targets, f"{directory}: a patch matches nothing: {patch['target']}"
        for doc in targets:
            for operation in operations:
                _apply(doc, operation)
    for image in spec.get("images", []):
        for doc in docs:
            for container in _containers(doc):
                if container.get("image", "").split(":")[0] == image["name"]:
                    name = image.get("newName", image["name"])
                    container["image"] = f"{name}:{image['newTag']}" if "newTag" in image else name
    if "namespace" in spec:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = spec["namespace"]
    return docs


def _generate(docs: list[dict[str, Any]], kind: str, generator: dict[str, Any]) -> None:
    assert set(generator) <= {"name", "literals", "behavior"}, generator
    data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
    if generator.get("behavior") == "merge":
        [existing] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == generator["name"]]
        existing.setdefault("data", {}).update(data)
        return
    field = "stringData" if kind == "Secret" else "data"
    docs.append({"apiVersion": "v1", "kind": kind, "metadata": {"name": generator["name"]}, field: data})


def _matches(doc: dict[str, Any], target: dict[str, Any]) -> bool:
    assert set(target) <= {"kind", "name", "labelSelector"}, target
    labels = doc["metadata"].get("labels", {})
    selector = dict(part.split("=", 1) for part in target.get("labelSelector", "").split(",") if part)
    return (target.get("kind", doc["kind"]) == doc["kind"]
            and target.get("name", doc["metadata"]["name"]) == doc["metadata"]["name"]
            and all(labels.get(key) == value for key, value in selector.items()))


def _apply(doc: dict[str, Any], operation: dict[str, Any]) -> None:
    """One JSON 6902 operation: add, replace or remove."""
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    node: Any = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    op = operation["op"]
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if op == "add":
            node.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            node[index] = copy.deepcopy(operation["value"])
        else:
            assert op == "remove", op
            del node[index]
        return
    if op in ("add", "replace"):
        assert op == "add" or last in node, f"replace of a missing {operation['path']}"
        node[last] = copy.deepcopy(operation["value"])
    else:
        assert op == "remove", op
        del node[last]


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    if doc["kind"] == "Job" or doc["kind"] == "Deployment":
        return [*pod.get("initContainers", []), *pod.get("containers", [])]
    return []
