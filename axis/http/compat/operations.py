"""What each national SDK operation signs: the Content-Type its transport sends and the
parameters it uses, so that a request signed for one operation is refused by another as far as
the SDK's protocol allows.

The `XroadVnpt-*` HMAC covers the signed parameter JSON only: not the operation (the path), not
a time that changes (the timestamp is fixed per SDK service object), not a nonce. What a request
signed is therefore all that tells operations apart:

- the signed `Content-Type` is the transport's, put anew on every call (it replaces the previous
  one in the SDK's header map): `application/octet-stream` for `sendEdoc`, `application/json`
  for the others. A request must carry the one of the operation it is sent to, so a captured
  `sendEdoc` acts as no other operation and no other operation's request as a `sendEdoc`;
- an operation refuses a request without a parameter it needs (`PARAM_MISSING`, where the
  operation reads it);
- the other signed parameters cannot be judged by default. One SDK service object keeps every
  parameter it was ever given (national-api.md 2.1), and the vendor's receive loop reuses one:
  after one pass, its `updateStatus(X, done)` still carries the `filePath` of `getEdoc` and its
  `getEdoc(X)` the `status` of the previous `updateStatus`, so `getEdoc(X)` and the
  `updateStatus(X, done)` that follows can be byte for byte the same signed headers. Refusing
  parameters an operation does not use would break that loop, and nothing else in the request
  tells a replay from the real call. For a client that makes one service object per call, an
  operator turns on `strict_parameters` (`Client.strict_parameters`): its requests may then sign
  only the parameters of the operation they are sent to (`PARAM_UNUSED`), so a captured
  `getEdoc` (signing `filePath`) cannot act as `updateStatus`, nor an `updateStatus` (signing
  `status`) read a document as `getEdoc`.

TLS keeps requests from being captured at all, and is the defence that holds for every client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from axis.http.compat.signature import SYSTEM_ID

JSON = "application/json"
OCTETS = "application/octet-stream"
CONTENT_TYPE = "Content-Type"
ALWAYS = frozenset({SYSTEM_ID, "timestamp", CONTENT_TYPE.lower()})
"""Signed by every call of every service object."""


class BindingError(ValueError):
    """A request signed for another operation, or signing what this one does not take; `code`
    is the machine code, the message a sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Signs:
    """What one operation's SDK call signs besides `systemid` and `timestamp`."""

    content_type: str = JSON
    uses: tuple[str, ...] = ()
    """Parameters the operation takes (a strict client may sign no others), as the SDK's
    callers spell them; names are matched case-insensitively."""

    def check(self, operation: str, params: Mapping[str, str], *, strict: bool) -> None:
        """Raise `BindingError` unless the signed `params` (name -> value, names without the
        `XroadVnpt-` prefix) fit this operation."""
        signed = {name.lower(): value for name, value in params.items()}
        content_type = signed.get(CONTENT_TYPE.lower())
        if content_type is None or content_type.strip().lower() != self.content_type:
            shown = repr(content_type) if content_type is not None else "none"
            raise BindingError(
                "PARAM_CONTENT_TYPE",
                f"{operation} is signed with the Content-Type {self.content_type} (the SDK's "
                f"transport for it); this request signed {shown}, so it was made for another "
                "operation",
            )
        if not strict:
            return
        taken = ALWAYS | {name.lower() for name in self.uses}
        unused = sorted(name for name in params if name.lower() not in taken)
        if unused:
            uses = ", ".join(self.uses) if self.uses else "no parameter"
            raise BindingError(
                "PARAM_UNUSED",
                f"this client takes strict parameters: {operation} uses {uses}, and the request "
                f"also signs {', '.join(unused)} (an SDK service object keeps the parameters of "
                "its earlier calls: make one per call, or ask an operator to turn strict "
                "parameters off for this client)",
            )
