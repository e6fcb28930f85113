"""Who is calling: the seam where authentication plugs in.

Authentication does not exist yet. Until it does, :func:`current_caller` takes the caller's identity
from the ``X-Caller-Id`` header (unverified, recorded as given) or records ``anonymous``. Every endpoint
that needs a caller depends on this one function, so the authentication that replaces it (API keys with
roles, or the OIDC module) changes this file only.
"""

from __future__ import annotations

import re

from fastapi import Request

CALLER_HEADER = "x-caller-id"
ANONYMOUS = "anonymous"
_SAFE_CALLER = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")


def current_caller(request: Request) -> str:
    """The caller's identity as recorded on decisions (``anonymous`` when absent or malformed)."""
    claimed = request.headers.get(CALLER_HEADER, "")
    return claimed if _SAFE_CALLER.match(claimed) else ANONYMOUS
