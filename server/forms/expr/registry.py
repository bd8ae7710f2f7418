"""Function table: name -> implementation and arity, filled by the functions_* modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

Impl = Callable[..., Any]
F = TypeVar("F", bound=Impl)
Special = Callable[[tuple[Any, ...], list[Callable[[Any], Any]]], Callable[[Any], Any]]


@dataclass(frozen=True)
class FuncSpec:
    """How to call one XPath function: eager values, lazy closures, or a compile-time builder."""

    name: str
    impl: Impl
    min_args: int
    max_args: int | None
    lazy: bool = False
    step: int = 1
    special: Special | None = None

    def arity_problem(self, n: int) -> str | None:
        """A message if n arguments is not a valid call, else None."""
        ok = n >= self.min_args and (self.max_args is None or n <= self.max_args)
        ok = ok and (n - self.min_args) % self.step == 0
        if ok:
            return None
        if self.max_args == self.min_args:
            want = str(self.min_args)
        elif self.max_args is None:
            want = f"at least {self.min_args}" + (f" (in steps of {self.step})" if self.step > 1 else "")
        else:
            want = f"{self.min_args} to {self.max_args}"
        return f"{self.name}() takes {want} argument(s), got {n}"


FUNCTIONS: dict[str, FuncSpec] = {}


def xfn(name: str, min_args: int, max_args: int | None = -1, *, lazy: bool = False,
        step: int = 1) -> Callable[[F], F]:
    """Register an implementation; max_args=-1 means 'same as min_args', None means unbounded."""
    top = min_args if max_args == -1 else max_args

    def deco(impl: F) -> F:
        FUNCTIONS[name] = FuncSpec(name, impl, min_args, top, lazy, step)
        return impl

    return deco


def special(name: str, min_args: int, max_args: int | None, step: int = 1) -> Callable[[Special], Special]:
    """Register a function that needs its argument ASTs at compile time (e.g. indexed-repeat)."""

    def deco(builder: Special) -> Special:
        FUNCTIONS[name] = FuncSpec(name, lambda *a: None, min_args, max_args, False, step, builder)
        return builder

    return deco
