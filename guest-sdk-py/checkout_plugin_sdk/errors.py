"""The error a handler raises instead of answering; mirrors the WIT
`handler-error` and the Rust SDK's `HandlerError`.

Raise one of the three kinds from a handler:

    raise HandlerError.unsupported()          # HTTP callers get 404
    raise HandlerError.invalid_input("items: missing")
    raise HandlerError.failed("config `stock`: invalid value 'many'")

or catch them by class: `Unsupported`, `InvalidInput` and `Failed` are
subclasses of `HandlerError`. Any other exception that escapes a handler
becomes `failed` in the component (see `checkout_plugin_sdk.adapter`).
"""

from __future__ import annotations

UNSUPPORTED = "unsupported"
INVALID_INPUT = "invalid_input"
FAILED = "failed"


class HandlerError(Exception):
    """Why a handler produced no answer.

    `kind` is `"unsupported"`, `"invalid_input"` or `"failed"`; `message`
    is empty for `unsupported`. `str()` is the Rust SDK's display:
    `unsupported`, `invalid input: <message>`, `failed: <message>`. Two
    errors are equal when kind and message are.
    """

    kind: str = FAILED

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = str(message)

    @staticmethod
    def unsupported() -> "Unsupported":
        """The plugin does not handle this kind of call (an override kind,
        webhook topic or event it has no code for)."""
        return Unsupported()

    @staticmethod
    def invalid_input(message: str) -> "InvalidInput":
        """The request could not be understood: a field the handler needs
        is missing or has the wrong shape."""
        return InvalidInput(message)

    @staticmethod
    def failed(message: str) -> "Failed":
        """The handler failed for a reason of its own (e.g. a bad config
        value)."""
        return Failed(message)

    def __str__(self) -> str:
        if self.kind == UNSUPPORTED:
            return "unsupported"
        if self.kind == INVALID_INPUT:
            return f"invalid input: {self.message}"
        return f"failed: {self.message}"

    def __repr__(self) -> str:
        if self.kind == UNSUPPORTED:
            return "HandlerError.unsupported()"
        return f"HandlerError.{self.kind}({self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HandlerError):
            return NotImplemented
        return (self.kind, self.message) == (other.kind, other.message)

    def __hash__(self) -> int:
        return hash((self.kind, self.message))


class Unsupported(HandlerError):
    """`unsupported`: the plugin has no code for this call."""

    kind = UNSUPPORTED

    def __init__(self, message: str = "") -> None:
        super().__init__("")


class InvalidInput(HandlerError):
    """`invalid-input(message)`: the request is missing a field or has the
    wrong shape."""

    kind = INVALID_INPUT


class Failed(HandlerError):
    """`failed(message)`: the handler failed for a reason of its own."""

    kind = FAILED
