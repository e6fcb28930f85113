"""The project's command line: ``serve``, ``train``, ``audit``, ``keys``, ``model``, ``compliance``, the
operational commands (``kill-switch``, ``incidents``, ``subjects erase``) and ``version``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from . import __version__, operations
from ._meta import ENV_PREFIX, PROJECT_NAME

if TYPE_CHECKING:
    from .audit.commands import Trail, WitnessCheck
    from .governance.fairness import FairnessReport
    from .settings import Settings

_POLICY = Path("governance/fairness.toml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROJECT_NAME, description="Credit-risk scoring service.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="Run the HTTP service (settings from the environment).")
    serve.add_argument("--host", help="Override the configured interface.")
    serve.add_argument("--port", type=int, help="Override the configured port.")
    train = commands.add_parser("train", help="Train the model and write the artifact and its metadata.")
    train.add_argument("--output-dir", type=Path, help="Where to write (default: models/ in the project home).")
    train.add_argument("--fairness-policy", type=Path, help=f"Fairness thresholds (default: {_POLICY} in the home).")
    _add_audit(commands.add_parser("audit", help="Verify, export or archive the audit trail."))
    _add_keys(commands.add_parser("keys", help="Create, list or revoke API keys (stored hashed)."))
    compliance = commands.add_parser("compliance", help="The regimes in force: retention and data residency.")
    compliance_commands = compliance.add_subparsers(dest="compliance_command", required=True)
    compliance_commands.add_parser("show", help="Print the regimes, the audit retention and each store's region.")
    commands.add_parser("version", help="Print the version.")
    _model_parser(commands.add_parser("model", help="Model governance: fairness gate, approvals, rollback."))
    _contract_parser(commands.add_parser("contract", help="The use-case contract (usecase.toml): generate, check."))
    operations.add_parsers(commands)
    return parser


def _model_parser(model: argparse.ArgumentParser) -> None:
    actions = model.add_subparsers(dest="model_command", required=True)
    fairness = actions.add_parser("fairness", help="Re-check the model's fairness gate on its held-out data.")
    approve = actions.add_parser("approve", help="Record an approval of the current artifact in the inventory.")
    _import_parser(actions)
    operations.add_rollback_parser(actions)
    for action in (fairness, approve):
        action.add_argument("--model-path", type=Path, help="The artifact (default: the configured model path).")
    fairness.add_argument("--policy", type=Path, help=f"Fairness thresholds (default: {_POLICY} in the home).")
    approve.add_argument("--approver", required=True, help="Who approves (not the owning team).")
    approve.add_argument("--date", type=_date, help="Date of the approval, YYYY-MM-DD (default: today).")
    approve.add_argument("--note", default="", help="Reference to the validation report or committee minutes.")
    approve.add_argument("--inventory", type=Path, help="The inventory (default: inventory.json beside the model).")


def _import_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imported = actions.add_parser(
        "import",
        help="Register a model trained elsewhere (skops, XGBoost JSON/UBJ, LightGBM text, ONNX), unapproved.",
    )
    imported.add_argument("path", type=Path, help="The model file (pickle and joblib files are refused).")
    imported.add_argument("--name", help="Model name (default: the file name up to its first dot).")
    imported.add_argument("--version", default="1.0.0", help="Model version (default: 1.0.0).")
    imported.add_argument("--labels", type=Path, help="A labelled CSV of applications to score the model on.")
    imported.add_argument("--target", help="The outcome column of --labels (1 = defaulted).")
    imported.add_argument("--output-dir", type=Path, help="Where to register it (default: models/NAME).")
    imported.add_argument("--policy", type=Path, default=_POLICY, help=f"Fairness thresholds (default: {_POLICY}).")


def _contract_parser(contract: argparse.ArgumentParser) -> None:
    actions = contract.add_subparsers(dest="contract_command", required=True)
    generate = actions.add_parser(
        "generate", help="Write the typed request model and, unless it breaks clients, the API snapshot."
    )
    check = actions.add_parser("check", help="Fail when the generated code or the API snapshot is stale or broken.")
    for action in (generate, check):
        action.add_argument("--contract", type=Path, default=Path("usecase.toml"), help="The contract file.")
        action.add_argument("--snapshots", type=Path, default=Path("contract"), help="The API snapshots folder.")


def _contract(args: argparse.Namespace) -> int:
    from .contract import commands

    files = commands.ContractFiles(contract=args.contract, snapshots=args.snapshots)
    report = commands.generate(files) if args.contract_command == "generate" else commands.check(files)
    for path in report.written:
        print(f"wrote {path}")  # noqa: T201
    for problem in report.problems:
        print(f"error: {problem}", file=sys.stderr)  # noqa: T201
    if args.contract_command == "check" and not report.problems:
        print(f"{args.contract}: generated code and API snapshot are current")  # noqa: T201
    return 1 if report.problems else 0


def _add_keys(keys: argparse.ArgumentParser) -> None:
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="Create a key; it is printed once and only its hash is stored.")
    create.add_argument("--name", required=True, help="Who holds it (recorded on every decision and review).")
    create.add_argument(
        "--role", action="append", required=True, choices=["scorer", "reviewer", "auditor", "admin"], help="Repeatable."
    )
    actions.add_parser("list", help="Names, roles and creation dates (never the keys).")
    revoke = actions.add_parser("revoke", help="Delete a key; the service refuses it from the next request.")
    revoke.add_argument("--name", required=True, help="The key's name.")


def _hint_first_key(settings: Settings) -> None:
    from .keys import KeyStore

    if not KeyStore(settings.api_keys_path).entries():
        print(  # noqa: T201
            f"note: no API keys in {settings.api_keys_path}: every endpoint except /healthz, /readyz and /metrics "
            f"answers 401. Create one: {PROJECT_NAME} keys create --role scorer --name <who>",
            file=sys.stderr,
        )


def _keys(args: argparse.Namespace) -> int:
    from .keys import KeyStore
    from .settings import Settings

    store = KeyStore(Settings().api_keys_path)
    if args.keys_command == "create":
        key = store.create(args.name, tuple(args.role))
        print(key)  # noqa: T201 -- the only time the key is shown
        roles = ", ".join(args.role)
        where = store.path.resolve()
        print(f"stored the hash of {args.name}'s key ({roles}) in {where}; keep the key secret", file=sys.stderr)  # noqa: T201
    elif args.keys_command == "list":
        for item in store.entries():
            print(f"{item.name}\t{','.join(item.roles)}\t{item.created_at}")  # noqa: T201
    else:
        store.revoke(args.name)
        print(f"revoked {args.name}'s key", file=sys.stderr)  # noqa: T201
    return 0


def _add_audit(audit: argparse.ArgumentParser) -> None:
    actions = audit.add_subparsers(dest="audit_command", required=True)
    db_help = "The audit trail (default: the configured audit path)."
    verify = actions.add_parser(
        "verify", help="Check the whole chain and its witnessed heads; name the first record tampered with."
    )
    verify.add_argument("--db", type=Path, help=db_help)
    verify.add_argument("--witness", type=Path, help="A witness file (default: the module's witness, else the file).")
    verify.add_argument("--public-keys", type=Path, help="Trusted public keys (default: the configured ones).")
    verify.add_argument(
        "--no-witness", action="store_true", help="Check the chain alone (a truncation would not show)."
    )
    export = actions.add_parser("export", help="Write the trail with its chain hashes as JSON Lines.")
    export.add_argument("--db", type=Path, help=db_help)
    export.add_argument("--output", type=Path, help="File to write (default: stdout).")
    witness_key = actions.add_parser("witness-key", help="The key that signs the witnessed chain heads.")
    key_actions = witness_key.add_subparsers(dest="witness_key_command", required=True)
    create = key_actions.add_parser("create", help="Create a signing key; its public key joins the trusted list.")
    create.add_argument("--key", type=Path, help="Where (default: the configured witness key path).")
    create.add_argument("--public-keys", type=Path, help="The trusted public keys file to add it to.")
    archive = actions.add_parser("archive", help="Move old records to a segment file; verification stays valid.")
    archive.add_argument("--db", type=Path, help=db_help)
    archive.add_argument(
        "--before",
        type=_date,
        help="Archive records created before this date (YYYY-MM-DD; default: older than the configured retention).",
    )


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        msg = f"{text!r} is not a date like 2019-03-31"
        raise argparse.ArgumentTypeError(msg) from None


def _serve(host: str | None, port: int | None) -> int:
    import uvicorn  # only `serve` needs the server: imported here to keep `version` instant

    from .app import create_app
    from .settings import Settings

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    _hint_first_key(settings)
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


def _train(output_dir: Path, policy: Path) -> int:
    from .governance.fairness import load_policy
    from .model.train import train  # training code is not needed to serve

    result = train(output_dir, fairness_policy=load_policy(policy))
    print(f"wrote {result.artifact} (sha256 {result.sha256})")  # noqa: T201
    print(f"held-out metrics: {result.metrics}")  # noqa: T201
    print(f"wrote {result.model_card} and the fairness report")  # noqa: T201
    return _report_fairness(result.fairness)


def _report_fairness(report: FairnessReport) -> int:
    rates = ", ".join(f"{name} {group.approval_rate}" for name, group in report.groups.items())
    print(  # noqa: T201
        f"fairness ({report.protected_attribute}, approve below {report.approve_below}): approval rates {rates}; "
        f"demographic parity difference {report.demographic_parity_difference}, "
        f"equalised odds difference {report.equalized_odds_difference}, ratio {report.approval_rate_ratio}"
    )
    if report.passed:
        print("fairness gate passed")  # noqa: T201
        return 0
    for violation in report.violations:
        print(f"error: fairness gate failed: {violation}", file=sys.stderr)  # noqa: T201
    operations.fairness_incident("the fairness gate failed", list(report.violations))
    print("error: this model must not be approved; see the fairness report", file=sys.stderr)  # noqa: T201
    return 1


def _model(args: argparse.Namespace) -> int:
    if args.model_command == "fairness":
        from .governance.fairness import holdout_fairness, load_policy
        from .settings import Settings

        approve_below = Settings().approve_below
        report = holdout_fairness(args.model_path, approve_below=approve_below, policy=load_policy(args.policy))
        return _report_fairness(report)
    if args.model_command == "rollback":
        return operations.rollback(args)
    if args.model_command == "import":
        return _import(args)
    from .governance.inventory import INVENTORY, approve
    from .governance.rollback import archive_artifact

    inventory = args.inventory or args.model_path.with_name(INVENTORY)
    approval = approve(args.model_path, args.approver, inventory_path=inventory, date=args.date, note=args.note)
    print(f"recorded approval of {approval.sha256} by {approval.approver} on {approval.date} in {inventory}")  # noqa: T201
    print(f"kept a copy in {archive_artifact(args.model_path)} (for `model rollback`)")  # noqa: T201
    return 0


def _import(args: argparse.Namespace) -> int:
    from .governance.fairness import load_policy
    from .governance.importing import ImportRefusedError, import_model, read_labelled
    from .model.train import default_thresholds

    if (args.labels is None) != (args.target is None):
        raise ImportRefusedError("--labels and --target go together: the file and its outcome column")
    policy = load_policy(args.policy)
    name = args.name or args.path.name.partition(".")[0].lower()
    labels = read_labelled(args.labels, args.target, policy.protected_attribute) if args.labels else None
    approve_below, decline_above = default_thresholds()
    result = import_model(
        args.path,
        args.output_dir or Path("models") / name,
        name=name,
        model_version=args.version,
        labels=labels,
        policy=policy,
        approve_below=approve_below,
        decline_above=decline_above,
    )
    print(f"imported {result.artifact} ({result.family}, sha256 {result.sha256})")  # noqa: T201
    if result.metrics:
        print(f"scores on {args.labels}: {result.metrics}")  # noqa: T201
    code = _report_fairness(result.fairness)
    print(  # noqa: T201
        f"recorded it in {result.inventory}, unapproved; after review: {PROJECT_NAME} model approve "
        f"--model-path {result.artifact} --approver NAME, then serve it with "
        f"{ENV_PREFIX}MODEL_PATH={result.artifact}"
    )
    return code


def _audit(args: argparse.Namespace) -> int:
    import sqlite3

    from .audit import AuditError, commands
    from .integrations import IntegrationError
    from .obligations import audit_retention
    from .settings import Settings

    settings = Settings()
    trail: Trail | None = None
    try:
        if args.audit_command == "witness-key":
            key = args.key or settings.audit_witness_key_path
            report = commands.create_witness_key(key, args.public_keys or _public_keys(settings, key))
            print(report.line)  # noqa: T201
            return report.code
        trail = _audit_trail(args.db, settings)
        if args.audit_command == "verify":
            report = commands.verify(trail, settings.audit_archive_dir, _witness_check(args, settings))
        elif args.audit_command == "export":
            report = commands.export(trail, args.output)
        else:
            report = commands.archive(trail, settings.audit_archive_dir, args.before, audit_retention(settings))
    except (AuditError, IntegrationError, sqlite3.Error) as exc:
        where = trail.where if trail is not None else "(not opened)"
        print(f"error: audit trail {where}: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(report.line, file=sys.stderr if report.stderr else sys.stdout)
    return report.code


def _public_keys(settings: Settings, key: Path) -> Path:
    from .audit._witness import public_keys_path

    return settings.audit_witness_public_keys_path or public_keys_path(key)


def _witness_check(args: argparse.Namespace, settings: Settings) -> WitnessCheck | None:
    """What ``audit verify`` checks the trail against: the witness file and the trusted public keys."""
    from .audit import FileWitness, Witness
    from .audit.commands import WitnessCheck
    from .integrations import IntegrationContext, audit_witness_factory, discover
    from .metrics import Metrics

    if args.no_witness:
        return None
    witness: Witness = FileWitness(args.witness or settings.audit_witness_path)
    if args.witness is None:
        open_witness = audit_witness_factory(discover(IntegrationContext(settings, Metrics())))
        witness = open_witness(settings) if open_witness else witness
    return WitnessCheck(witness, args.public_keys or _public_keys(settings, settings.audit_witness_key_path))


def _compliance(args: argparse.Namespace) -> int:
    """``compliance show``: exit 1 when a store is outside the required residency (the service would not start)."""
    del args  # one subcommand
    from .integrations import IntegrationContext, discover
    from .metrics import Metrics
    from .obligations import describe, enforce
    from .settings import Settings

    settings = Settings()
    integrations = discover(IntegrationContext(settings, Metrics()))
    for line in describe(settings, integrations):
        print(line)  # noqa: T201
    enforce(settings, integrations)  # the refusal, if any, as the service would give it
    return 0


def _audit_trail(db: Path | None, settings: Settings) -> Trail:
    """``--db`` names a SQLite file; without it, the store a module provides, else the configured file."""
    from .audit.commands import Trail
    from .integrations import IntegrationContext, audit_store_factory, discover
    from .metrics import Metrics

    if db is None:
        open_store = audit_store_factory(discover(IntegrationContext(settings, Metrics())))
        if open_store is not None:
            return Trail("(the store an integration module provides)", lambda: open_store(settings))
    return Trail.sqlite(db or settings.audit_path)


def _is_user_error(exc: Exception) -> bool:
    """A file problem or a refusal whose message says how to fix it; anything else is a bug (traceback)."""
    if isinstance(exc, OSError):
        return True
    from .contract import ContractError  # imported lazily: `version` stays instant
    from .governance.errors import GovernanceError
    from .incidents import IncidentError
    from .keys import KeyStoreError
    from .model import ModelLoadError
    from .privacy import SubjectKeyError

    return isinstance(
        exc, ContractError | GovernanceError | ModelLoadError | KeyStoreError | IncidentError | SubjectKeyError
    )


def _project_defaults(args: argparse.Namespace) -> None:
    """Fill the paths left out on the command line from the settings: the project's files, wherever the
    command runs (a path given on the command line is, as usual, relative to the working directory)."""
    from .settings import Settings

    settings = Settings()
    defaults = {
        "output_dir": settings.home / "models",
        "model_path": settings.model_path,
        "fairness_policy": settings.home / _POLICY,
        "policy": settings.home / _POLICY,
    }
    for name, default in defaults.items():
        if hasattr(args, name) and getattr(args, name) is None:
            setattr(args, name, default)


def _run(args: argparse.Namespace) -> int:
    if args.command in {"train", "model"}:
        _project_defaults(args)
    if args.command == "serve":
        return _serve(args.host, args.port)
    if args.command == "train":
        return _train(args.output_dir, args.fairness_policy)
    if args.command == "model":
        return _model(args)
    commands = {"audit": _audit, "keys": _keys, "kill-switch": operations.kill_switch}
    commands["incidents"] = operations.incidents
    commands["compliance"] = _compliance
    commands["subjects"] = operations.subjects
    commands["contract"] = _contract
    if args.command in commands:
        return commands[args.command](args)
    print(f"{PROJECT_NAME} {__version__}")  # noqa: T201
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; user errors print one line on stderr and exit 1 (2 for usage errors)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        print(f"error: invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}", file=sys.stderr)  # noqa: T201
        return 1
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 1


if __name__ == "__main__":
    sys.exit(main())
