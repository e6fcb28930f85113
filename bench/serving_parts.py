"""Cost of each part of one `POST /v1/score` in a generated project, called directly, one thread.

Run by profile_serving.py with the project's own interpreter (it imports the project):

    <venv>/bin/python bench/serving_parts.py PROJECT_DIR PACKAGE [--calls 300]

Prints, per part, the minimum (what the code costs when it has a core to itself: the figure to
optimise against) and the median (what it cost on this machine as it was) over ``--calls`` calls, each
with a new applicant from the project's synthetic data. Durable writes go to a temp folder on the same
disk. Parts reach into the project's modules (app state, privacy, audit store): when the service's
internals are renamed, adjust the calls here.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import itertools
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STORES = {
    "AUDIT_PATH": "audit.db",
    "AUDIT_ARCHIVE_DIR": "archive",
    "API_KEYS_PATH": "api-keys.json",
    "REVIEW_PATH": "reviews.db",
    "SUBJECT_KEYS_PATH": "subject-keys.db",
    "INCIDENT_PATH": "incidents.db",
    "KILL_SWITCH_PATH": "kill-switch.json",
    "LOG_LEVEL": "WARNING",
}


def timed(label: str, call: Callable[[], object], calls: int) -> None:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    print(f"{label:<60}{1000 * min(times):>9.3f}{1000 * statistics.median(times):>10.3f}")


def applicants(root: Path, data: Any, count: int) -> Iterator[dict[str, Any]]:
    template = json.loads((root / "tests" / "data" / "applicant.json").read_text(encoding="utf-8"))
    for n, record in enumerate(data.generate(count, 424242).records):
        yield {**template, **record, "applicant_id": f"PARTS-{n:09d}"}


async def measure(root: Path, package: str, calls: int) -> None:
    mod = {
        name: importlib.import_module(f"{package}.{name}") for name in ("app", "access", "keys", "privacy")
    }
    schemas, data = (
        importlib.import_module(f"{package}.schemas"),
        importlib.import_module(f"{package}.model.data"),
    )
    key = (
        mod["keys"]
        .KeyStore(Path(os.environ[package.upper() + "_API_KEYS_PATH"]))
        .create("parts", ("scorer",))
    )
    bodies = applicants(root, data, calls * 12)
    app = mod["app"].create_app(integrations=[])
    async with app.router.lifespan_context(app):
        state = app.state
        print(f"{'part (ms per call, one thread)':<60}{'min':>9}{'median':>10}")
        timed(
            "model predict alone (ScoringModel.predict)",
            lambda: state.model.predict(next(bodies)),
            calls,
        )
        timed(
            "predict + reason codes (Explainer.explain, what is served)",
            lambda: state.explainer.explain(next(bodies)),
            calls,
        )
        timed(
            "request JSON -> Applicant (pydantic validation)",
            lambda: schemas.Applicant.model_validate_json(json.dumps(next(bodies))),
            calls,
        )
        subject_ids = (f"PARTS-KEY-{n}" for n in itertools.count())
        timed(
            "new subject key, durable (SubjectKeyStore.key_for)",
            lambda: state.subjects.key_for(next(subject_ids)),
            calls,
        )
        subject, one = state.subjects.key_for("PARTS-SEAL"), schemas.Applicant.model_validate(next(bodies))
        timed(
            "seal personal fields (AES-GCM)",
            lambda: mod["privacy"].seal(subject, mod["privacy"].personal_fields(one)),
            calls,
        )
        body = {
            "decision": "approve",
            "score": 874,
            "features": {"monthly_income": 85000.0},
            "explanation": None,
        }
        timed(
            "audit append, one writer, durable (submit().result())",
            lambda: state.audit.submit("decision", body).result(),
            calls,
        )
        authenticator = mod["access"].ApiKeyAuthenticator(mod["keys"].KeyStore(state.settings.api_keys_path))
        timed(
            "auth: API key lookup (ApiKeyAuthenticator.authenticate)",
            lambda: authenticator.authenticate(key),
            calls,
        )

        def score() -> Any:
            applicant = schemas.Applicant.model_validate(next(bodies))
            return mod["app"].score_applicant(state, applicant, request_id="parts", caller="parts")

        timed("score_applicant (all above + decision, review queue, drift)", score, calls)
        response = score()
        timed("response -> JSON (ScoreResponse.model_dump_json)", response.model_dump_json, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("package")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="serving-parts-") as tmp:
        for name, value in STORES.items():
            os.environ[f"{args.package.upper()}_{name}"] = (
                value if name == "LOG_LEVEL" else str(Path(tmp) / value)
            )
        os.chdir(args.project)  # the model and governance files are found relative to the project
        asyncio.run(measure(args.project.resolve(), args.package, args.calls))


if __name__ == "__main__":
    main()
