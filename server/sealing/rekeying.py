"""The contract of one step of a key rotation, shared by every context that seals.

``gridreg registry rekey`` (server/registry/rekey.py) walks the registry's
tables and then each other context's step; a step is a function
``(session, sealer, after_id, limit, write) -> BatchResult`` that looks at rows
with id > after_id (at most ``limit``) and rewrites only what is not yet under
the current key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.errors import AppError
from server.sealing.crypto import Sealer


class UnknownKeyError(AppError):
    """A token was sealed under a key that is neither current nor listed as retired."""

    status, code = 409, "registry.unknown_key"
    message_zh = "存在无法解密的数据：请在 GRIDREG_ENCRYPTION_KEYS_OLD 中配置旧密钥"


@dataclass
class BatchResult:
    """What one batch of one table did."""

    table: str
    scanned: int = 0
    resealed: int = 0  # rows with at least one token moved to the current key
    rehashed: int = 0  # entities whose keyed hashes were recomputed
    changed: int = 0  # rows rewritten (or, with write=False, that need it)
    last_id: int | None = None


RekeyStep = Callable[[Session, Sealer, int, int, bool], BatchResult]
