"""Exception hierarchy of the expression engine.

Every failure carries a stable ``kind`` so callers (form compiler, submission
validator, CLI, shared test vectors) can classify errors without parsing text.
"""

from __future__ import annotations


class ExprError(Exception):
    """Base class for every expression parse or evaluation error."""

    kind = "eval"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExprSyntaxError(ExprError):
    """The expression text is not valid XPath; ``position`` is a 0-based character offset."""

    kind = "syntax"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


class UnknownFunctionError(ExprError):
    """The expression calls a function the engine does not implement."""

    kind = "unknown_function"


class ArityError(ExprError):
    """A known function was called with the wrong number of arguments."""

    kind = "arity"


class UnknownReferenceError(ExprError):
    """A ``${name}`` reference is not in the context's name -> path map."""

    kind = "unknown_ref"


class ExprTypeError(ExprError):
    """A value cannot be used where it appears (e.g. count() of a string, date('abc'))."""

    kind = "type"
