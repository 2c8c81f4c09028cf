"""Secrets kept in the data dir (demo signing key, cache key, demo API key and webhook secret).

Created once, owner-only, atomically: several processes may start together on a fresh data dir
(`serve --workers`, or `token` commands run at once). Each writes its candidate to a file of its
own and links it into place, which only one can win; everyone then reads the winner.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def kept_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        candidate.write_bytes(make())
        candidate.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
        candidate.unlink()
    return path.read_bytes()
