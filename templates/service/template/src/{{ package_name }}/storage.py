"""One way to open the service's SQLite files: WAL journal, ``synchronous=FULL`` (a commit is on disk when it returns).

The audit trail, the review queue, the incident register and the subject key store each keep one file
opened this way; callers turn ``OSError`` and ``sqlite3.Error`` into their own error that names the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path


def connect_durable(
    path: Path, *, schema: str = "", pragmas: Iterable[str] = (), timeout: float = 30.0
) -> sqlite3.Connection:
    """Open (creating its folder) ``path`` in autocommit mode, usable from any thread; run ``schema`` once open."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", *pragmas):
            conn.execute(f"PRAGMA {pragma}")
        if schema:
            conn.executescript(schema)
    except sqlite3.Error:
        conn.close()
        raise
    return conn
