"""factory: generate governed, production-ready AI scoring services and keep them current.

The public API mirrors the CLI: :func:`new_project` (``factory new``), :func:`update_project`
(``factory update``) and :func:`list_catalog` (``factory list``). Errors are in :mod:`generator.errors`.
"""

from __future__ import annotations

from ._api import CatalogEntry, NewRequest, NewResult, list_catalog, new_project
from ._update import FileChange, UpdateResult, update_project

__version__ = "0.1.0"

__all__ = [
    "CatalogEntry",
    "FileChange",
    "NewRequest",
    "NewResult",
    "UpdateResult",
    "__version__",
    "list_catalog",
    "new_project",
    "update_project",
]
