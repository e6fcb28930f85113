"""What the selected regimes oblige the running service to: its audit retention and where its stores may be.

:func:`enforce` runs when the app is built (``create_app``): a store outside the required data residency,
or a configured retention shorter than a selected regime requires, stops the service before it opens
anything. ``loan-scoring compliance show`` prints the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .governance.errors import GovernanceError
from .governance.regimes import Obligations, check_residency, load_regimes, obligations, retention_years
from .integrations import Integration
from .settings import Settings

# The stores the service keeps itself, on the host it runs on (`region`); modules add their own.
LOCAL_STORES = ("audit", "reviews", "incidents", "api-keys", "kill-switch", "subject-keys")


def duties(settings: Settings) -> Obligations:
    """What the selected regimes require, with the ``data_residency`` setting applied."""
    return obligations(load_regimes(settings.regimes_path), residency_override=settings.data_residency)


def audit_retention(settings: Settings) -> int:
    """Years audit records are kept: ``audit_retention_years`` if set (never shorter), else the regimes'."""
    return retention_years(duties(settings), settings.audit_retention_years)


def data_stores(settings: Settings, integrations: Iterable[Integration]) -> dict[str, str]:
    """Every store that holds the service's data, and the region it is in."""
    integrations = list(integrations)
    stores = dict.fromkeys(LOCAL_STORES, settings.region)
    if not settings.audit_enabled or any(i.audit_store is not None for i in integrations):
        del stores["audit"]  # none, or the module's (declared below with the module's name)
    stores.update({i.name: i.data_region for i in integrations if i.data_region is not None})
    known = set(stores) | {i.name for i in integrations}
    unknown = sorted(set(settings.store_regions) - known)
    if unknown:
        raise GovernanceError(
            f"store_regions names unknown store(s) {', '.join(unknown)}: use one of {', '.join(sorted(known))}"
        )
    stores.update(settings.store_regions)
    return stores


def enforce(settings: Settings, integrations: Sequence[Integration]) -> Obligations:
    """Refuse (:class:`GovernanceError`) a store outside the data residency, or too short a retention."""
    found = duties(settings)
    retention_years(found, settings.audit_retention_years)
    check_residency(found, data_stores(settings, integrations))
    return found


def describe(settings: Settings, integrations: Sequence[Integration]) -> list[str]:
    """The lines ``compliance show`` prints: regimes, retention, residency and each store's region."""
    regimes = load_regimes(settings.regimes_path)
    found = obligations(regimes, residency_override=settings.data_residency)
    lines = ["selected regimes:"]
    for name in found.selected:
        regime = regimes.regimes[name]
        dates = ", ".join(
            f"{label} {day}"
            for label, day in (("published", regime.published), ("applies from", regime.applies_from))
            if day is not None
        )
        lines.append(f"  {name}: {regime.title} [{regime.status}{'; ' + dates if dates else ''}]")
        lines.append(f"    keeps decision records {_years(regime.audit_retention_years)}: {regime.basis}")
    retention = retention_years(found, settings.audit_retention_years)
    source = "set by audit_retention_years" if settings.audit_retention_years else f"from {found.retention_set_by}"
    lines.append(f"audit retention: {_years(retention)} ({source})")
    if found.jurisdiction is None:
        lines.append("data residency: none required by the selected regimes")
    else:
        lines.append(f"data residency: {found.residency} (required by {', '.join(found.residency_set_by)})")
    for name, region in sorted(data_stores(settings, integrations).items()):
        verdict = "" if found.jurisdiction is None else (" ok" if found.jurisdiction.admits(region) else " OUTSIDE")
        lines.append(f"  store {name}: {region}{verdict}")
    return lines


def _years(count: int) -> str:
    return f"{count} year" if count == 1 else f"{count} years"
