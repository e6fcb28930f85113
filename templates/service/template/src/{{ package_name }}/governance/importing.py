"""``model import``: register a model trained elsewhere, after checking it against the service.

The file is identified by its content (never by its name alone) and must be one of the safe formats:
a skops archive (scikit-learn), XGBoost JSON or UBJ, LightGBM text, or ONNX. Pickle and joblib files are
refused without being opened by anything that could unpickle them. The import then

1. loads the model with its family's loader, which checks its inputs against the service's features
   (names, kinds and order: a mismatch is refused naming the missing, extra and retyped fields);
2. makes a smoke prediction on seeded synthetic applications (finite probabilities, explanations that add
   up to the log-odds);
3. scores it on the labelled file when one is given (AUC, Brier), and measures the fairness gate on it
   (or on the seeded synthetic data when the file has no protected attribute, which the card says);
4. writes the artifact, its metadata (with what serving needs: feature list, explainer background, drift
   baseline), the drift baseline, the fairness report and the model card, and records the model in the
   inventory, unapproved: it serves only after ``model approve``.

Everything is written into a staging directory first and moved into place at the end: a refused import
leaves nothing behind.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..contract import CONTRACT, value_problem
from ..model import ScoringModel, load_model
from ..model.artifact import Family, metadata_path, summarise
from ..model.data import generate
from ..model.drift import BASELINE_FILE, build_baseline, write_baseline
from ..model.features import FEATURES, to_matrix
from ..model.inputs import logit
from ..model.sklearn_model import column_means
from .card import build_card, write_card
from .errors import GovernanceError
from .fairness import FairnessPolicy, FairnessReport, assess, write_report
from .files import FAIRNESS_REPORT
from .inventory import INVENTORY, load_inventory, new_entry, save_inventory

SAFE_FORMATS = (
    "save it in a safe format instead: skops.io.dump(pipeline, 'model.skops') for scikit-learn, "
    "booster.save_model('model.json') for XGBoost, booster.save_model('model.txt') for LightGBM, "
    "skl2onnx or onnx for anything else"
)
SEED = 20_261_206
SMOKE_ROWS = 200
SYNTHETIC_ROWS = 5_000  # fairness and background when the labelled file cannot provide them
CARD_SAMPLE = 50
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".dill", ".cloudpickle")
# Compressed containers joblib writes (zlib, gzip, bz2, xz, lzma, lz4) and joblib's own header.
_COMPRESSED = (
    b"ZF",
    b"\x78\x01",
    b"\x78\x5e",
    b"\x78\x9c",
    b"\x78\xda",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x5d\x00\x00",
    b"\x04\x22\x4d\x18",
)
_LABEL_VALUES = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
# The raw inputs the model's features are computed from: what a client sends, minus personal and protected data.
_RAW_FIELDS = tuple(name for name in CONTRACT.request_inputs if name not in CONTRACT.excluded)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class ImportRefusedError(GovernanceError):
    """The model cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Labelled:
    """Applications with their outcome (and the protected attribute, when the file has it)."""

    source: str
    records: list[dict[str, Any]]
    labels: npt.NDArray[np.int64]
    groups: list[str] | None
    sha256: str


@dataclass(frozen=True)
class ImportResult:
    """What the import wrote and measured."""

    artifact: Path
    family: Family
    sha256: str
    metrics: dict[str, float]
    fairness: FairnessReport
    inventory: Path


def detect_family(path: Path, head: bytes) -> tuple[Family, str]:
    """The family and the file extension to store it under, from the file's first bytes.

    :class:`ImportRefusedError` for a pickle or joblib file (by name or content) and for unknown formats.
    """
    if path.suffix.lower() in _PICKLE_SUFFIXES or is_pickle(head):
        raise ImportRefusedError(f"{path} is a pickle or joblib file, which runs code when loaded; {SAFE_FORMATS}")
    if head.startswith(b"PK\x03\x04"):
        return "sklearn", "skops"
    if head.startswith(b"tree\n") or head.startswith(b"tree\r\n"):
        return "lightgbm", "lgb.txt"
    if head.startswith(b"{"):
        return ("xgboost", "xgb.json") if _is_json_text(head) else ("xgboost", "xgb.ubj")
    if head[:1] == b"\x08" or path.suffix.lower() == ".onnx":
        return "onnx", "onnx"
    raise ImportRefusedError(f"{path} is not in a format the service loads; {SAFE_FORMATS}")


def is_pickle(head: bytes) -> bool:
    """True for a pickle (protocol 2+ starts with PROTO; 0-1 with a MARK or GLOBAL opcode) or a joblib file."""
    if head[:1] == b"\x80" and head[1:2] in {bytes([p]) for p in range(2, 6)}:
        return True
    if head.startswith((b"(dp", b"(lp", b"(i", b"ccopy_reg", b"c__builtin__", b"}q", b"]q")):
        return True
    return head.startswith(_COMPRESSED) and not head.startswith(b"PK")


def _is_json_text(head: bytes) -> bool:
    return re.match(rb'^\{\s*"', head) is not None


def read_labelled(path: Path, target: str, protected: str) -> Labelled:
    """Applications and outcomes from a CSV file; one line naming each bad row (at most five)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefusedError(f"cannot read the labelled file {path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    columns = set(reader.fieldnames or ())
    missing = [name for name in (*_RAW_FIELDS, target) if name not in columns]
    if missing:
        raise ImportRefusedError(f"{path} lacks the columns {', '.join(missing)}")
    records, labels, groups, problems = [], [], [], []
    for line, row in enumerate(reader, start=2):
        record, label, problem = _parse_row(row, target)
        if problem:
            problems.append(f"line {line}: {problem}")
            continue
        records.append(record)
        labels.append(label)
        groups.append(str(row.get(protected, "")))
    if problems:
        shown = "; ".join(problems[:5])
        raise ImportRefusedError(f"{path} has {len(problems)} bad rows ({shown}); fix them and import again")
    if len(set(labels)) < 2:  # noqa: PLR2004 -- AUC needs both outcomes
        raise ImportRefusedError(f"{path} column {target!r} needs both outcomes (0 and 1) to score the model")
    has_groups = protected in columns and all(groups)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Labelled(path.name, records, np.array(labels, dtype=np.int64), groups if has_groups else None, digest)


def _parse_row(row: Mapping[str, str], target: str) -> tuple[dict[str, Any], int, str | None]:
    """One application as the contract types it (bounds and categories checked), its label, or the problem."""
    record: dict[str, Any] = {}
    for name in _RAW_FIELDS:
        spec = CONTRACT.inputs[name]
        value = (row.get(name) or "").strip()
        parsed: bool | int | float | str | None = value
        if spec.type == "boolean":
            parsed = _BOOLEANS.get(value.lower())
        elif spec.type in {"number", "integer"}:
            try:
                number = float(value)
            except ValueError:
                return {}, 0, f"{name} {value!r} is not a number"
            parsed = int(number) if spec.type == "integer" and number.is_integer() else number
        problem = "is not true or false" if parsed is None else value_problem(spec, parsed)
        if problem:
            return {}, 0, f"{name} {value!r} {problem}"
        record[name] = parsed
    label = _LABEL_VALUES.get((row.get(target) or "").strip().lower())
    if label is None:
        return {}, 0, f"{target} {row.get(target)!r} is not 0 or 1"
    return record, label, None


def import_model(
    source: Path,
    output_dir: Path,
    *,
    name: str,
    model_version: str,
    labels: Labelled | None,
    policy: FairnessPolicy,
    approve_below: float,
    decline_above: float,
) -> ImportResult:
    """Check and register ``source`` in ``output_dir`` (see the module docstring); unapproved."""
    if not _NAME.match(name):
        raise ImportRefusedError(f"model name {name!r} must be lower-case letters, digits, '-' or '_' (no dots)")
    if not _VERSION.match(model_version):
        raise ImportRefusedError(f"model version {model_version!r} must be letters, digits, '.', '+', '-' or '_'")
    try:
        payload = source.read_bytes()
    except OSError as exc:
        raise ImportRefusedError(f"cannot read {source}: {exc.strerror}") from exc
    family, extension = detect_family(source, payload[:64])
    created = not output_dir.exists()
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=output_dir, prefix=".import-") as staging:
            artifact = Path(staging) / f"{name}.{extension}"
            artifact.write_bytes(payload)
            result = _stage(
                artifact,
                family=family,
                name=name,
                model_version=model_version,
                labels=labels,
                policy=policy,
                thresholds=(approve_below, decline_above),
            )
            _inventory(artifact, output_dir)
            for path in sorted(artifact.parent.iterdir()):
                path.replace(output_dir / path.name)
    except BaseException:
        if created and not any(output_dir.iterdir()):
            output_dir.rmdir()  # a refused import leaves nothing behind, not even the folder it made
        raise
    final = output_dir / artifact.name
    return ImportResult(final, family, result[0], result[1], result[2], output_dir / INVENTORY)


def _stage(
    artifact: Path,
    *,
    family: Family,
    name: str,
    model_version: str,
    labels: Labelled | None,
    policy: FairnessPolicy,
    thresholds: tuple[float, float],
) -> tuple[str, dict[str, float], FairnessReport]:
    sha256 = hashlib.sha256(artifact.read_bytes()).hexdigest()
    identity = {"name": name, "version": model_version, "artifact": artifact.name, "sha256": sha256}
    model = _load_with(artifact, {**identity, "family": family})  # checks the inputs against the features
    synthetic = generate(SYNTHETIC_ROWS, SEED)
    records = labels.records if labels else synthetic.records
    matrix = to_matrix(records)
    pipeline = getattr(model, "pipeline", None)
    background = summarise(matrix, SEED, column_means(pipeline, matrix) if pipeline is not None else ())
    serving = {
        "family": family,
        "format": artifact.name.partition(".")[2],
        "features": list(FEATURES),
        "background": background.to_json(),
    }
    model = _load_with(artifact, {**identity, **serving})
    _smoke(model, synthetic.records[:SMOKE_ROWS])
    scores = model.predict_many(records)
    write_baseline(build_baseline(matrix, scores), artifact.with_name(BASELINE_FILE))
    metrics = _metrics(labels.labels, scores) if labels else {}
    fairness, data = _fairness(model, labels, scores, policy, thresholds[0])
    baseline = artifact.with_name(BASELINE_FILE)
    metadata = {
        **identity,
        **serving,
        "drift_baseline": {"file": baseline.name, "sha256": hashlib.sha256(baseline.read_bytes()).hexdigest()},
        "metrics": metrics,
        "import": {"data": data, "labelled_file": labels.source if labels else None},
        "libraries": _libraries(family),
    }
    metadata_path(artifact).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_report(fairness, artifact.with_name(FAIRNESS_REPORT))
    card = build_card(
        artifact, fairness, approve_below=thresholds[0], decline_above=thresholds[1], sample=records[:CARD_SAMPLE]
    )
    write_card(card, artifact.parent)
    return sha256, metrics, fairness


def _load_with(artifact: Path, metadata: dict[str, Any]) -> ScoringModel:
    metadata_path(artifact).write_text(json.dumps(metadata), encoding="utf-8")
    return load_model(artifact)


def _fairness(
    model: ScoringModel, labels: Labelled | None, scores: npt.NDArray[np.float64], policy: FairnessPolicy, below: float
) -> tuple[FairnessReport, dict[str, Any]]:
    """The fairness gate on the labelled file when it has the protected attribute, else on synthetic data."""
    if labels and labels.groups:
        fairness = assess(labels.labels, scores, labels.groups, approve_below=below, policy=policy)
        return fairness, {"source": f"Labelled file {labels.source}", "rows": len(scores), "data_sha256": labels.sha256}
    synthetic = generate(SYNTHETIC_ROWS, SEED)
    synthetic_scores = model.predict_many(synthetic.records)
    groups = synthetic.protected[policy.protected_attribute]
    fairness = assess(synthetic.labels, synthetic_scores, groups, approve_below=below, policy=policy)
    source = "Seeded synthetic applications (model/data.py; the labelled file has no protected attribute)"
    if labels is None:
        source = "Seeded synthetic applications (model/data.py): no labelled file was given"
    return fairness, {"source": source, "rows": SYNTHETIC_ROWS, "data_sha256": _digest(synthetic.records)}


def _smoke(model: ScoringModel, records: list[dict[str, Any]]) -> None:
    """Finite probabilities for synthetic applications, and explanations that add up to the log-odds."""
    probabilities = model.predict_many(records)
    if probabilities.shape != (len(records),) or not np.all(np.isfinite(probabilities)):
        raise ImportRefusedError(f"{model.name} gave non-finite or misshaped predictions on synthetic applications")
    if np.any((probabilities < 0) | (probabilities > 1)):
        raise ImportRefusedError(f"{model.name} gave probabilities outside [0, 1] on synthetic applications")
    for record, probability in zip(records[:5], probabilities[:5], strict=True):
        attribution = model.explain(record)
        total = attribution.base + float(np.sum(attribution.contributions))
        if abs(total - attribution.log_odds) > 1e-6 or abs(attribution.log_odds - float(logit(probability))) > 1e-4:  # noqa: PLR2004
            raise ImportRefusedError(f"{model.name}'s explanations do not add up to its log-odds; report it as a bug")


def _metrics(labels: npt.NDArray[np.int64], scores: npt.NDArray[np.float64]) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    return {
        "auc": round(float(roc_auc_score(labels, scores)), 4),
        "brier": round(float(brier_score_loss(labels, scores)), 4),
        "default_rate": round(float(np.mean(labels)), 4),
        "rows": float(len(labels)),
    }


def _digest(records: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()


def _libraries(family: Family) -> dict[str, str]:
    names = {"sklearn": ("scikit-learn", "skops"), "xgboost": ("xgboost-cpu",), "lightgbm": ("lightgbm",)}
    found = {}
    for package in (*names.get(family, ("onnxruntime",)), "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def _inventory(artifact: Path, output_dir: Path) -> None:
    """Record the staged model in the inventory (copied into the stage), unapproved."""
    model = load_model(artifact)
    stage = artifact.parent
    current = output_dir / INVENTORY
    if current.exists():
        shutil.copy(current, stage / INVENTORY)
    inventory = load_inventory(stage / INVENTORY)
    if inventory.entry_for(model) is None:
        models = [*inventory.models, new_entry(model)]
        save_inventory(inventory.model_copy(update={"models": models}), stage / INVENTORY)
