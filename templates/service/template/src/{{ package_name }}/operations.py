"""The operational commands: ``kill-switch on|off|status``, ``incidents list|close``, ``subjects erase`` and
``model rollback``.

They work on the running service's shared state (the kill switch file, the incident register, the audit
trail), so they take effect without a restart. Each change is written to the audit trail; when the trail
cannot be opened, a kill switch change still takes effect (stopping is always safe) and says it was not
recorded.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .audit import AuditStore
    from .incidents import IncidentRegister
    from .privacy import SubjectKeyStore
    from .settings import Settings


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", default=getpass.getuser(), help="Who acts (recorded; default: the OS user).")


def add_parsers(commands: Any) -> None:
    """Add ``kill-switch`` and ``incidents`` to the CLI's sub-commands."""
    switch = commands.add_parser("kill-switch", help="Suspend or resume automated decisions (no restart).")
    actions = switch.add_subparsers(dest="switch_command", required=True)
    for name, text in (("on", "Engage: every case to review or the fallback rules."), ("off", "Resume the model.")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--reason", required=True, help="Why (recorded in the audit trail).")
        _by(action)
    actions.add_parser("status", help="Print the switch as the service sees it (JSON).")
    incidents = commands.add_parser("incidents", help="List or close entries of the incident register.")
    actions = incidents.add_subparsers(dest="incidents_command", required=True)
    listing = actions.add_parser("list", help="Every incident, newest first (JSON Lines).")
    listing.add_argument("--status", choices=["open", "closed"], help="Only these.")
    close = actions.add_parser("close", help="Close an incident with a note (audited).")
    close.add_argument("id", type=int, help="The incident's id.")
    close.add_argument("--note", required=True, help="What was done, and where it is recorded.")
    _by(close)
    subjects = commands.add_parser("subjects", help="Data subjects: erase one (right to erasure, crypto-shredding).")
    actions = subjects.add_subparsers(dest="subjects_command", required=True)
    erase = actions.add_parser("erase", help="Delete the subject's key: its personal data can no longer be read.")
    erase.add_argument("--applicant-id", required=True, help="The applicant whose personal data is erased.")
    erase.add_argument(
        "--reason", required=True, help="Why, e.g. the request's reference (recorded; no personal data)."
    )
    _by(erase)
    actions.add_parser(
        "reapply-erasures",
        help="After restoring the key store from a backup: delete every key the audit trail records as erased.",
    )


def add_rollback_parser(actions: Any) -> None:
    """Add ``model rollback``."""
    rollback = actions.add_parser("rollback", help="Put the previously approved version back in models/ (audited).")
    rollback.add_argument("--model-path", type=Path, help="The artifact (default: the configured model path).")
    rollback.add_argument("--inventory", type=Path, help="The inventory (default: inventory.json beside the model).")
    rollback.add_argument("--reason", required=True, help="Why (recorded in the audit trail).")
    _by(rollback)


@contextmanager
def audit_trail(settings: Settings) -> Iterator[AuditStore | None]:
    """The store an integration module provides, else the configured SQLite trail; None if it cannot open."""
    from .audit import AuditError, SqliteAuditStore, open_witnessed
    from .integrations import IntegrationContext, IntegrationError, audit_store_factory, audit_witness_factory, discover
    from .metrics import Metrics

    store: AuditStore | None = None
    try:
        found = discover(IntegrationContext(settings, Metrics()))
        open_store, open_witness = audit_store_factory(found), audit_witness_factory(found)
        trail = open_store(settings) if open_store else SqliteAuditStore(settings.audit_path)
        store = open_witnessed(trail, settings, open_witness)
    except (AuditError, IntegrationError) as exc:
        print(f"warning: the audit trail cannot be opened: {exc}", file=sys.stderr)  # noqa: T201
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def _recorded(record_id: str | None) -> str:
    return f"audit record {record_id}" if record_id else "NOT recorded in the audit trail (see the message above)"


def kill_switch(args: argparse.Namespace) -> int:
    """``kill-switch on|off|status``."""
    from .controls import switch_kill_switch
    from .killswitch import KillSwitch
    from .settings import Settings

    settings = Settings()
    switch = KillSwitch(settings.kill_switch_path)
    if args.switch_command == "status":
        print(json.dumps({"mode": settings.kill_switch_mode, **switch.state().__dict__}, ensure_ascii=False))  # noqa: T201
        return 0
    register = _incident_register(settings.incident_path)  # None: the switch still takes effect
    try:
        with audit_trail(settings) as store:
            switched = switch_kill_switch(
                switch,
                register,
                store,
                engaged=args.switch_command == "on",
                reason=args.reason,
                by=args.by,
                timeout=settings.audit_timeout_seconds,
            )
    finally:
        if register is not None:
            register.close()
    what = f"engaged ({settings.kill_switch_mode})" if switched.state.engaged else "released"
    incident = f"; incident {switched.incident.id} opened" if switched.incident else ""
    print(f"kill switch {what} in {switch.path}; {_recorded(switched.record_id)}{incident}")  # noqa: T201
    return 0


def incidents(args: argparse.Namespace) -> int:
    """``incidents list|close``."""
    from .controls import close_incident
    from .incidents import IncidentRegister
    from .settings import Settings

    settings = Settings()
    register = IncidentRegister(settings.incident_path)
    try:
        if args.incidents_command == "list":
            for incident in register.list(args.status):
                print(json.dumps(incident.to_json(), ensure_ascii=False))  # noqa: T201
            return 0
        with audit_trail(settings) as store:
            incident, record_id = close_incident(
                register, store, args.id, note=args.note, by=args.by, timeout=settings.audit_timeout_seconds
            )
    finally:
        register.close()
    print(f"closed incident {incident.id} ({incident.kind}); {_recorded(record_id)}")  # noqa: T201
    return 0


def subjects(args: argparse.Namespace) -> int:
    """``subjects erase``: delete the subject's key, then record the erasure (kind ``erasure``); ``subjects
    reapply-erasures``: after a restore of the key store, delete the keys the trail records as erased."""
    from .privacy import SubjectKeyStore, erase
    from .settings import Settings

    settings = Settings()
    keys = SubjectKeyStore(settings.subject_keys_path)
    if args.subjects_command == "reapply-erasures":
        return _reapply_erasures(keys, settings)
    try:
        with audit_trail(settings) as store:
            done = erase(
                keys, store, args.applicant_id, reason=args.reason, by=args.by, timeout=settings.audit_timeout_seconds
            )
    finally:
        keys.close()
    if done.flushed:
        print(f"wrote {done.flushed} pending erasure record(s) of earlier erasures to the audit trail")  # noqa: T201
    if done.status == "not_found":
        print(f"nothing to erase: no key for this applicant in {keys.path} (never scored, or already erased)")  # noqa: T201
        return 0
    if done.record_id is None:
        print(  # noqa: T201
            f"error: subject {done.subject_ref} is erased (its key is deleted: its personal data cannot be read) but "
            "the erasure is NOT recorded in the audit trail (see the message above); it is kept pending in "
            f"{keys.path}: make the trail writable, then run `subjects erase` again (any applicant) to record it",
            file=sys.stderr,
        )
        return 1
    print(  # noqa: T201
        f"erased subject {done.subject_ref}: its key is deleted from {keys.path}, so its personal data in the audit "
        f"trail cannot be read any more; audit record {done.record_id}"
    )
    return 0


def _reapply_erasures(keys: SubjectKeyStore, settings: Settings) -> int:
    from .privacy import reapply_erasures

    try:
        with audit_trail(settings) as store:
            if store is None:
                print(  # noqa: T201
                    "error: the audit trail, which lists the erasures, cannot be opened (see the warning above); "
                    "fix it and run this again",
                    file=sys.stderr,
                )
                return 1
            deleted, erasures = reapply_erasures(keys, store)
    finally:
        keys.close()
    print(f"deleted {deleted} key(s) from {keys.path}; the audit trail records {erasures} erased subject(s)")  # noqa: T201
    return 0


def rollback(args: argparse.Namespace) -> int:
    """``model rollback``: the previous approved version back in models/, audited (kind ``rollback``)."""
    from .controls import ROLLBACK, audit
    from .governance.inventory import INVENTORY
    from .governance.rollback import rollback as roll_back
    from .settings import Settings

    settings = Settings()
    result = roll_back(args.model_path, args.inventory or args.model_path.with_name(INVENTORY))
    body = {"from": result.previous, "to": result.current, "reason": args.reason, "by": args.by}
    with audit_trail(settings) as store:
        record = audit(store, ROLLBACK, body, settings.audit_timeout_seconds)
    print(  # noqa: T201
        f"rolled back {result.previous['version']} ({result.previous['sha256'][:12]}) to "
        f"{result.current['version']} ({result.current['sha256'][:12]}) in {args.model_path.parent}; "
        f"{_recorded(record.id if record else None)}. Restart the service to serve it."
    )
    return 0


def _incident_register(path: Path) -> IncidentRegister | None:
    from .incidents import IncidentError, IncidentRegister

    try:
        return IncidentRegister(path)
    except IncidentError as exc:
        print(f"warning: {exc}; no incident is opened", file=sys.stderr)  # noqa: T201
        return None


def fairness_incident(summary: str, violations: list[str]) -> None:
    """Open an incident for a failed fairness gate (training); audited. Never raises: training reports it."""
    from .controls import open_incident
    from .settings import Settings

    settings = Settings()
    register = _incident_register(settings.incident_path)
    if register is None:
        return
    try:
        with audit_trail(settings) as store:
            incident = open_incident(
                register, store, "fairness", "fairness", summary, violations=violations
            )  # closing the trail commits it
    finally:
        register.close()
    if incident is not None:
        print(f"opened incident {incident.id} in {settings.incident_path}", file=sys.stderr)  # noqa: T201
