"""factory: generate governed, production-ready AI scoring services and keep them current.

The public API mirrors the CLI: :func:`new_project` (``factory new``), :func:`add_modules` (``factory add``),
:func:`remove_module` (``factory remove``), :func:`update_project` (``factory update``),
:func:`project_status` (``factory status``), :func:`list_catalog` (``factory list``), and for platform teams
:func:`check_module` and :func:`publish_module` (``factory module check|publish``). Errors are in
:mod:`generator.errors`.
"""

from __future__ import annotations

from ._api import CatalogEntry, NewRequest, NewResult, list_catalog, new_project
from ._check import CheckResult, CheckRun, check_module, publish_module
from ._modules import AddResult, AppliedModule, add_modules
from ._registry import Published
from ._remove import RemoveResult, remove_module
from ._status import ComponentStatus, StatusResult, project_status
from ._update import FileChange, UpdateResult, update_project

__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "AppliedModule",
    "CatalogEntry",
    "CheckResult",
    "CheckRun",
    "ComponentStatus",
    "FileChange",
    "NewRequest",
    "NewResult",
    "Published",
    "RemoveResult",
    "StatusResult",
    "UpdateResult",
    "__version__",
    "add_modules",
    "check_module",
    "list_catalog",
    "new_project",
    "project_status",
    "publish_module",
    "remove_module",
    "update_project",
]
