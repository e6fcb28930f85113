"""Validate the Kubernetes manifests as they will be applied: `make deploy-check`.

For each overlay in deploy/overlays, `kubectl kustomize` renders the final manifests into
build/deploy/<overlay>.yaml, then:

1. `kubernetes-validate --strict` checks every built-in kind against the Kubernetes API schema
   (unknown fields fail). It has no schema for custom resources and only warns about them, so
2. ServiceMonitor and PrometheusRule are validated against the Prometheus Operator's CRD models
   (cloudcoil-models-prometheus-operator, generated from the operator's CRDs); a field the model
   does not know is an error, as `--strict` does for built-in kinds;
3. the PrometheusRule must carry exactly the rule groups of monitoring/alerts.yml (one source of truth:
   promtool checks and unit-tests that file);
4. every Deployment must keep the pod hardening this project promises (non-root, read-only root
   filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp, probes,
   resource requests and limits).

Exit status 0 when everything passes, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

try:
    import yaml
    from cloudcoil.models.prometheus_operator.v1 import PrometheusRule, ServiceMonitor
    from pydantic import BaseModel, ValidationError
except ImportError as exc:  # run with a Python that lacks the project's dev tools
    sys.exit(f"deploy-check: {exc}; run `make install`, then `make deploy-check` (it uses .venv/bin/python)")

ROOT = Path(__file__).resolve().parent.parent
OVERLAYS = ROOT / "deploy" / "overlays"
BUILD = ROOT / "build" / "deploy"
ALERTS = ROOT / "monitoring" / "alerts.yml"
CUSTOM_KINDS: dict[str, type[BaseModel]] = {"ServiceMonitor": ServiceMonitor, "PrometheusRule": PrometheusRule}

Manifest = dict[str, Any]


def render(overlay: Path) -> str:
    """The final manifests of one overlay, as `kubectl apply -k` would send them."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        sys.exit("deploy-check needs kubectl (it renders the kustomize overlays): install kubectl and retry")
    command = [kubectl, "kustomize", str(overlay)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (fixed argv)
    if proc.returncode != 0:
        sys.exit(f"kubectl kustomize {overlay.relative_to(ROOT)} failed:\n{proc.stderr}")
    return proc.stdout


def kubernetes_validate(path: Path) -> list[str]:
    """Problems `kubernetes-validate --strict` reports for the built-in kinds in path."""
    tool = Path(sys.executable).with_name("kubernetes-validate")
    if not tool.is_file():
        sys.exit(f"deploy-check needs kubernetes-validate beside {sys.executable}: run `make install` first")
    command = [str(tool), "--strict", "--quiet", str(path)]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (fixed argv)
    if proc.returncode == 0:
        return []
    lines = (proc.stdout + proc.stderr).splitlines()
    # Custom kinds only get a "Couldn't find schema" warning here; custom_resource_problems checks them.
    return [f"kubernetes-validate --strict: {line}" for line in lines if line and "Couldn't find schema" not in line]


def unknown_fields(given: object, known: object, where: str = "") -> list[str]:
    """Paths present in the manifest but dropped by the model: fields the CRD does not define."""
    if isinstance(given, dict) and isinstance(known, dict):
        found: list[str] = []
        for key, value in given.items():
            if key not in known:
                found.append(f"{where}.{key}" if where else str(key))
            else:
                found.extend(unknown_fields(value, known[key], f"{where}.{key}" if where else str(key)))
        return found
    if isinstance(given, list) and isinstance(known, list):
        pairs = enumerate(zip(given, known, strict=False))
        return [p for i, (g, k) in pairs for p in unknown_fields(g, k, f"{where}[{i}]")]
    return []


def custom_resource_problems(doc: Manifest) -> list[str]:
    """Schema problems of a ServiceMonitor or PrometheusRule."""
    model = CUSTOM_KINDS[doc["kind"]]
    name = f"{doc['kind']}/{doc.get('metadata', {}).get('name')}"
    try:
        parsed = model.model_validate(doc)
    except ValidationError as exc:
        return [f"{name}: {err['loc']}: {err['msg']}" for err in exc.errors()]
    known = parsed.model_dump(by_alias=True, exclude_none=True, mode="json")
    return [f"{name}: unknown field {path}" for path in unknown_fields(doc, known)]


def rules_problems(doc: Manifest) -> list[str]:
    """The PrometheusRule must hold monitoring/alerts.yml's groups, unchanged."""
    alerts = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    if doc.get("spec") == alerts:
        return []
    return [
        f"PrometheusRule/{doc['metadata']['name']}: spec differs from monitoring/alerts.yml; "
        "copy the groups of monitoring/alerts.yml into deploy/base/prometheusrule.yaml under `spec:`"
    ]


def pod_problems(doc: Manifest) -> list[str]:
    """The hardening every Deployment of this service must keep."""
    name = f"Deployment/{doc['metadata']['name']}"
    pod = doc["spec"]["template"]["spec"]
    problems = []
    pod_security = pod.get("securityContext", {})
    if pod_security.get("runAsNonRoot") is not True:
        problems.append(f"{name}: pod securityContext.runAsNonRoot must be true")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: pod securityContext.seccompProfile.type must be RuntimeDefault")
    for container in pod["containers"]:
        where = f"{name} container {container['name']}"
        security = container.get("securityContext", {})
        expected = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "runAsNonRoot": True}
        problems += [
            f"{where}: securityContext.{key} must be {str(value).lower()}"
            for key, value in expected.items()
            if security.get(key) != value
        ]
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: securityContext.capabilities.drop must be [ALL]")
        problems += [f"{where}: no {probe}" for probe in ("readinessProbe", "livenessProbe") if probe not in container]
        resources = container.get("resources", {})
        problems += [
            f"{where}: resources.{kind}.{res} missing"
            for kind in ("requests", "limits")
            for res in ("cpu", "memory")
            if res not in resources.get(kind, {})
        ]
    return problems


def check_overlay(overlay: Path) -> list[str]:
    """Every problem of one overlay, each prefixed with the overlay's name."""
    BUILD.mkdir(parents=True, exist_ok=True)
    output = BUILD / f"{overlay.name}.yaml"
    output.write_text(render(overlay), encoding="utf-8")
    docs = [d for d in yaml.safe_load_all(output.read_text(encoding="utf-8")) if d]
    problems = kubernetes_validate(output)
    kinds = {d["kind"] for d in docs}
    problems += [f"missing kind {kind}" for kind in sorted(set(CUSTOM_KINDS) - kinds)]
    for doc in docs:
        if doc["kind"] in CUSTOM_KINDS:
            problems += custom_resource_problems(doc)
        if doc["kind"] == "PrometheusRule":
            problems += rules_problems(doc)
        if doc["kind"] == "Deployment":
            problems += pod_problems(doc)
    return [f"{overlay.name}: {p}" for p in problems]


def main() -> int:
    overlays = sorted(p for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").is_file())
    problems = [p for overlay in overlays for p in check_overlay(overlay)]
    for problem in problems:
        print(problem, file=sys.stderr)  # noqa: T201
    if not problems:
        names = ", ".join(o.name for o in overlays)
        print(f"deploy-check: {names} valid (rendered into {BUILD.relative_to(ROOT)})")  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
