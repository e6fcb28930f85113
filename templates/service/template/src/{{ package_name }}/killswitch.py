"""The kill switch: suspend automated model decisions at once, without a restart, in every worker.

The state is a small JSON file (``kill_switch_path``, default ``var/kill-switch.json``) that the admin
endpoint (``PUT /v1/admin/kill-switch``) and the CLI (``kill-switch on|off``) replace atomically
(temporary file + rename). Each request stats it (one system call) and re-reads it only when its inode,
size or modification time changed, so a switch takes effect on the next request of every worker
process, and survives restarts. No file means disengaged; a file that cannot be read or parsed means
**engaged** (fail safe), and is logged.

While engaged no model decides (the champion still scores, for the reviewer; no challenger runs):

- ``kill_switch_mode=review`` (default): every case is referred to a person (``referral: kill_switch``);
- ``kill_switch_mode=fallback_rules``: the documented rules of :func:`fallback_decision` decide, and
  refer what they do not cover.

Cases that policy or a failure already sends to a person (``policy:*``, ``explanation_failed``) stay so.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .contract import Decision
from .logs import get_logger
from .schemas import Applicant

KILL_SWITCH = "kill_switch"
log = get_logger(__name__)


@dataclass(frozen=True)
class KillSwitchState:
    """Whether automated decisions are suspended, why, by whom and since when."""

    engaged: bool
    reason: str = ""
    by: str = ""
    changed_at: str = ""


DISENGAGED = KillSwitchState(engaged=False)


class KillSwitch:
    """The shared switch file, re-read only when it changed (cheap enough for every request)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._state = DISENGAGED

    def state(self) -> KillSwitchState:
        """The current state; engaged when the file exists but cannot be read (fail safe)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return DISENGAGED
        except OSError as exc:
            return self._unreadable(exc)
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if stamp != self._stamp:
                self._state, self._stamp = self._read(), stamp
            return self._state

    def set(self, *, engaged: bool, reason: str, by: str) -> KillSwitchState:
        """Replace the state atomically; every worker sees it on its next request."""
        state = KillSwitchState(engaged, reason, by, datetime.now(UTC).isoformat())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".kill-switch-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(asdict(state), file, ensure_ascii=False)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(self.path)
        return state

    def _read(self) -> KillSwitchState:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("engaged"), bool):
                raise ValueError("no boolean 'engaged'")
            return KillSwitchState(
                data["engaged"],
                str(data.get("reason", "")),
                str(data.get("by", "")),
                str(data.get("changed_at", "")),
            )
        except (OSError, ValueError) as exc:
            return self._unreadable(exc)

    def _unreadable(self, exc: Exception) -> KillSwitchState:
        log.error("kill_switch_unreadable", path=str(self.path), reason=str(exc))
        return KillSwitchState(engaged=True, reason=f"the kill switch file is unreadable: {exc}", by="(fail safe)")


@dataclass(frozen=True)
class RuleOutcome:
    """What the fallback rules made of an applicant, and the rule that decided."""

    decision: Decision
    rule: str


def fallback_decision(
    applicant: Applicant,
    *,
    approve_max_dti: float,
    decline_min_dti: float,
    decline_min_delinquencies: int = 3,
) -> RuleOutcome:
    """The fallback rule set, in order (first match decides); no model involved.

    1. decline when the debt-to-income ratio (existing EMIs / monthly income) is above ``decline_min_dti``;
    2. decline with ``decline_min_delinquencies`` or more past delinquencies;
    3. approve when the ratio is at most ``approve_max_dti``, there is no past delinquency and at least
       24 months of credit history;
    4. otherwise refer to a person.
    """
    dti = applicant.monthly_debt_payments / applicant.monthly_income
    if dti > decline_min_dti:
        return RuleOutcome("decline", f"debt_to_income_above_{decline_min_dti:g}")
    if applicant.past_delinquencies >= decline_min_delinquencies:
        return RuleOutcome("decline", f"delinquencies_at_least_{decline_min_delinquencies}")
    if dti <= approve_max_dti and applicant.past_delinquencies == 0 and applicant.credit_history_months >= 24:  # noqa: PLR2004
        return RuleOutcome("approve", f"debt_to_income_at_most_{approve_max_dti:g}_clean_history")
    return RuleOutcome("refer", "no_rule_applies")
