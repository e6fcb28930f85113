"""Release steps of the delivery pipeline, shared by GitHub Actions and GitLab CI.

    python deploy/release.py deploy  --overlay staging --image REGISTRY/NAME@sha256:...
    python deploy/release.py canary  --image REF --prometheus URL [--watch-minutes 10]
    python deploy/release.py promote --image REF --prometheus URL [--watch-minutes 15]

deploy   applies an overlay with the image pinned (kustomize `images:`), waits for the rollout and
         undoes it when the new pods never become ready.
canary   runs the new image in the production canary Deployment (1 pod beside the stable ones, so it
         takes its share of the Service's traffic) and watches Prometheus: when CanaryErrorRateHigh
         fires, or the canary never gets ready, the canary is rolled back and scaled to 0 and the
         step fails. The first production release has nothing to compare with and skips the canary.
promote  applies production with the new image (the canary returns to 0 pods) and watches the
         service's critical alerts; when one fires, `kubectl rollout undo` restores the previous
         ReplicaSet and the step fails.

kubectl uses the current context (KUBECONFIG); PROMETHEUS_TOKEN, when set, is sent as a bearer token.
Needs only the standard library and kubectl, so it runs on a bare CI image.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CANARY_ALERTS = "CanaryErrorRateHigh"
PROMOTION_ALERTS = "ErrorBudgetBurnFast|ScoreLatencyBudgetBurnFast|ModelNotReady|AuditWriteFailures|TargetDown"


class ReleaseError(Exception):
    """A release step failed; the message says what happened and what was rolled back."""


@dataclass(frozen=True)
class Image:
    """A container image reference split the way kustomize's `images:` wants it."""

    name: str
    digest: str | None = None
    tag: str | None = None

    @classmethod
    def parse(cls, ref: str) -> Image:
        name, _, digest = ref.partition("@")
        if digest:
            return cls(name, digest=digest)
        head, _, tag = name.rpartition(":")
        if head and "/" not in tag:
            return cls(head, tag=tag)
        return cls(name, tag="latest")

    def __str__(self) -> str:
        return f"{self.name}@{self.digest}" if self.digest else f"{self.name}:{self.tag}"


def service_name() -> str:
    """The Deployment, container, Service and Prometheus job name: the project's name."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(pyproject["project"]["name"])


def namespace_of(overlay: str) -> str:
    """The `namespace:` line of the overlay's kustomization.yaml."""
    text = (ROOT / "deploy" / "overlays" / overlay / "kustomization.yaml").read_text(encoding="utf-8")
    match = re.search(r"^namespace:\s*(\S+)\s*$", text, re.MULTILINE)
    if match is None:
        msg = f"deploy/overlays/{overlay}/kustomization.yaml sets no namespace"
        raise ReleaseError(msg)
    return match.group(1)


def kubectl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run kubectl, echoing the command as CI logs should."""
    binary = shutil.which("kubectl")
    if binary is None:
        msg = "kubectl not found on PATH"
        raise ReleaseError(msg)
    print("+ kubectl", " ".join(args), flush=True)  # noqa: T201
    proc = subprocess.run([binary, *args], capture_output=True, text=True, check=False)  # noqa: S603 (fixed argv)
    sys.stdout.write(proc.stdout + proc.stderr)
    if check and proc.returncode != 0:
        msg = f"kubectl {' '.join(args)} failed with exit code {proc.returncode}"
        raise ReleaseError(msg)
    return proc


def pinned_kustomization(overlay: str, image: Image) -> Path:
    """build/release/<overlay>/kustomization.yaml: the overlay with the image pinned."""
    directory = ROOT / "build" / "release" / overlay
    directory.mkdir(parents=True, exist_ok=True)
    pin = f"    digest: {image.digest}" if image.digest else f'    newTag: "{image.tag}"'
    (directory / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n  - ../../../deploy/overlays/{overlay}\n"
        f"images:\n  - name: {service_name()}\n    newName: {image.name}\n{pin}\n",
        encoding="utf-8",
    )
    return directory


def rollout(namespace: str, deployment: str, timeout: str = "10m") -> bool:
    """Whether the Deployment's rollout completed in time."""
    status = ("rollout", "status", f"deployment/{deployment}", f"--timeout={timeout}")
    proc = kubectl("-n", namespace, *status, check=False)
    return proc.returncode == 0


def firing(prometheus: str, alertnames: str) -> list[str]:
    """Names of the service's alerts matching alertnames (a regex) that fire now."""
    matchers = f'alertstate="firing", job="{service_name()}", alertname=~"{alertnames}"'
    query = "ALERTS{" + matchers + "}"
    url = f"{prometheus.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url)  # noqa: S310 (the operator's Prometheus URL)
    if token := os.environ.get("PROMETHEUS_TOKEN"):
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        msg = f"cannot query Prometheus at {prometheus}: {exc}"
        raise ReleaseError(msg) from exc
    return sorted({sample["metric"]["alertname"] for sample in body["data"]["result"]})


def watch(prometheus: str, alertnames: str, minutes: float, poll_seconds: float) -> list[str]:
    """Poll until one of the alerts fires (returned) or the window ends (empty list).

    A Prometheus that cannot be asked counts as a failure: a release nobody can watch is not kept.
    """
    deadline = time.monotonic() + minutes * 60
    while True:
        try:
            alerts = firing(prometheus, alertnames)
        except ReleaseError as exc:
            return [str(exc)]
        if alerts or time.monotonic() >= deadline:
            return alerts
        print(f"no alert firing; watching {deadline - time.monotonic():.0f} s more", flush=True)  # noqa: T201
        time.sleep(poll_seconds)


def deploy(overlay: str, image: Image) -> None:
    """Apply the overlay with the image pinned; undo the rollout when it does not complete."""
    namespace, name = namespace_of(overlay), service_name()
    kubectl("apply", "-k", str(pinned_kustomization(overlay, image)))
    if not rollout(namespace, name):
        kubectl("-n", namespace, "rollout", "undo", f"deployment/{name}")
        msg = f"{overlay}: {image} did not become ready; rolled back to the previous ReplicaSet"
        raise ReleaseError(msg)


def canary(image: Image, prometheus: str, minutes: float, poll_seconds: float) -> None:
    """Run the image as the canary, watch its alert, roll it back when it fires."""
    namespace, name = namespace_of("production"), service_name()
    canary_name = f"{name}-canary"
    if kubectl("-n", namespace, "get", f"deployment/{canary_name}", check=False).returncode != 0:
        print("no production release yet: nothing to compare the canary with, skipping it")  # noqa: T201
        return
    kubectl("-n", namespace, "set", "image", f"deployment/{canary_name}", f"{name}={image}")
    kubectl("-n", namespace, "scale", f"deployment/{canary_name}", "--replicas=1")
    ready = rollout(namespace, canary_name)
    alerts = watch(prometheus, CANARY_ALERTS, minutes, poll_seconds) if ready else ["canary pod not ready"]
    if alerts:
        kubectl("-n", namespace, "scale", f"deployment/{canary_name}", "--replicas=0")
        kubectl("-n", namespace, "rollout", "undo", f"deployment/{canary_name}")
        msg = f"canary {image} failed ({', '.join(alerts)}): scaled to 0 and rolled back"
        raise ReleaseError(msg)
    print(f"canary {image} healthy for {minutes:g} min")  # noqa: T201


def promote(image: Image, prometheus: str, minutes: float, poll_seconds: float) -> None:
    """Roll the image out to production and roll back when a critical alert fires."""
    deploy("production", image)
    alerts = watch(prometheus, PROMOTION_ALERTS, minutes, poll_seconds)
    if alerts:
        namespace, name = namespace_of("production"), service_name()
        kubectl("-n", namespace, "rollout", "undo", f"deployment/{name}")
        msg = f"production {image}: {', '.join(alerts)} fired after the rollout; rolled back"
        raise ReleaseError(msg)
    print(f"production runs {image}")  # noqa: T201


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    for step in ("deploy", "canary", "promote"):
        sub = steps.add_parser(step)
        sub.add_argument("--image", required=True, type=Image.parse, help="REGISTRY/NAME@sha256:... or :tag")
        if step == "deploy":
            sub.add_argument("--overlay", required=True, choices=["staging", "production"])
            continue
        sub.add_argument("--prometheus", required=True, help="Prometheus base URL, e.g. https://prometheus.example")
        sub.add_argument("--watch-minutes", type=float, default=10.0 if step == "canary" else 15.0)
        sub.add_argument("--poll-seconds", type=float, default=30.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.step == "deploy":
            deploy(args.overlay, args.image)
        elif args.step == "canary":
            canary(args.image, args.prometheus, args.watch_minutes, args.poll_seconds)
        else:
            promote(args.image, args.prometheus, args.watch_minutes, args.poll_seconds)
    except ReleaseError as exc:
        print(f"release failed: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
