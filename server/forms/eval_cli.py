"""``gridreg eval``: evaluate an XLSForm expression from the shell, once or as a batch service.

Form designers and the offline-client tests use it to ask "what does this
expression give for this submission?" without a database. ``--batch`` keeps one
process alive and answers JSON lines in order, so callers (e.g. the JavaScript
vector runner) avoid paying Python start-up per expression. The name -> path
map comes from the workbook via pyxform until server/forms/compiler.py offers it.
"""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import IO, Any

import click

from server.forms.expr import (
    DEFAULT_TZ_NAME,
    EvalContext,
    ExprError,
    NodeSet,
    evaluate,
    number_to_string,
    parse,
    type_name,
)

_NON_ELEMENT_TYPES = frozenset({"attribute"})


@dataclass(frozen=True)
class FormInfo:
    """What evaluation needs from a workbook: root, ${name} paths, repeats and choice labels."""

    root: str = "data"
    refs: dict[str, str] = field(default_factory=dict)
    repeats: tuple[str, ...] = ()
    choices: dict[str, dict[str, str]] = field(default_factory=dict)
    field_lists: dict[str, str] = field(default_factory=dict)


def _label(label: Any, language: str) -> str:
    if isinstance(label, dict):
        for key in (language, "default"):
            if key in label:
                return str(label[key])
        return str(next(iter(label.values()), ""))
    return "" if label is None else str(label)


def form_info_from_json(survey: dict[str, Any]) -> FormInfo:
    """Derive FormInfo from pyxform's survey JSON (xls2json.parse_file_to_json output)."""
    root = str(survey.get("name") or "data")
    language = str(survey.get("default_language") or "default")
    refs: dict[str, str] = {}
    repeats: list[str] = []
    field_lists: dict[str, str] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        for child in node.get("children", []) or []:
            name = child.get("name")
            if not name or child.get("type") in _NON_ELEMENT_TYPES:
                continue
            child_path = f"{path}/{name}"
            refs.setdefault(name, child_path)
            if child.get("type") == "repeat":
                repeats.append(child_path)
            list_name = child.get("list_name") or child.get("itemset")
            if isinstance(list_name, str) and not list_name.endswith((".csv", ".xml", ".geojson")):
                field_lists[name] = list_name
            if child.get("type") in ("group", "repeat"):
                walk(child, child_path)

    walk(survey, "/" + root)
    choices = {
        list_name: {str(c.get("name")): _label(c.get("label"), language) for c in items if isinstance(c, dict)}
        for list_name, items in (survey.get("choices") or {}).items()
    }
    return FormInfo(root, refs, tuple(repeats), choices, field_lists)


@lru_cache(maxsize=32)
def _load_form_cached(path: str, mtime: float) -> FormInfo:
    from pyxform.xls2json import parse_file_to_json

    collected: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = parse_file_to_json(path, warnings=collected)
    return form_info_from_json(survey)


def load_form(path: str) -> FormInfo:
    """Read an XLSForm workbook (cached by path and modification time)."""
    return _load_form_cached(os.path.abspath(path), os.path.getmtime(path))


def json_value(value: Any) -> Any:
    """A result as JSON: NaN/Infinity as strings, whole numbers as ints, node-sets as string lists."""
    if isinstance(value, NodeSet):
        return value.strings()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return number_to_string(value)
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def _clock(now: str | None) -> Any:
    if not now:
        return None
    fixed = datetime.fromisoformat(now)
    return lambda: fixed


def _read_json_file(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def evaluate_request(expr: str, *, form: str | None = None, data: Any = None, context: str | None = None,
                     tz: str | None = None, now: str | None = None, instances: Any = None) -> dict[str, Any]:
    """Evaluate one request and return the JSON-ready answer ({value, type} or {error, kind})."""
    try:
        info = load_form(form) if form else FormInfo()
        if isinstance(data, str):
            data = _read_json_file(data)
        if isinstance(instances, str):
            instances = _read_json_file(instances)
        parsed = parse(expr)
        refs = info.refs or _refs_from_data(data, info.root)
        ctx = EvalContext(data, refs, context=context, root=info.root if form else None,
                          tz=tz or DEFAULT_TZ_NAME, clock=_clock(now), choices=info.choices,
                          field_lists=info.field_lists, repeats=info.repeats, instances=instances)
        value = evaluate(parsed, ctx)
    except ExprError as exc:
        answer: dict[str, Any] = {"error": str(exc), "kind": exc.kind}
        if hasattr(exc, "position"):
            answer["position"] = exc.position
        return answer
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "kind": "input"}
    except Exception as exc:  # pyxform raises its own errors for broken workbooks
        return {"error": f"{type(exc).__name__}: {exc}", "kind": "input"}
    return {"value": json_value(value), "type": type_name(value)}


def _refs_from_data(data: Any, root: str) -> dict[str, str]:
    """Without a form, let ${name} find any field by its element name in the submission."""
    refs: dict[str, str] = {}
    if not isinstance(data, dict):
        return refs
    top = data
    if len(data) == 1 and isinstance(next(iter(data.values())), dict):
        root, top = next(iter(data.items()))

    def walk(node: dict[str, Any], path: str) -> None:
        for key, val in node.items():
            refs.setdefault(key, f"{path}/{key}")
            items = [v for v in val if isinstance(v, dict)] if isinstance(val, list) else [val]
            for item in items:
                if isinstance(item, dict):
                    walk(item, f"{path}/{key}")

    walk(top, "/" + root)
    return refs


def _emit(out: IO[str], answer: dict[str, Any]) -> None:
    out.write(json.dumps(answer, ensure_ascii=False) + "\n")
    out.flush()


def run_batch(inp: IO[str], out: IO[str]) -> None:
    """Answer one JSON line per request line, in order, echoing each request's id."""
    for line in inp:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if not isinstance(req, dict) or not isinstance(req.get("expr"), str):
                raise ValueError("each request needs a string 'expr'")
        except ValueError as exc:
            _emit(out, {"id": None, "error": f"bad request: {exc}", "kind": "input"})
            continue
        answer = evaluate_request(req["expr"], form=req.get("form"), data=req.get("data"),
                                  context=req.get("context"), tz=req.get("tz"), now=req.get("now"),
                                  instances=req.get("instances"))
        _emit(out, {"id": req.get("id"), **answer})


@click.command("eval", context_settings={"ignore_unknown_options": True})  # so EXPR may start with '-'
@click.argument("expr", required=False)
@click.option("--form", "form", type=click.Path(dir_okay=False), help="XLSForm workbook for ${name} paths.")
@click.option("--data", "data", type=click.Path(dir_okay=False), help="Submission instance as JSON.")
@click.option("--context", "context", help="Current node path, e.g. /data/children[2]/age.")
@click.option("--tz", "tz", default=DEFAULT_TZ_NAME, show_default=True, help="IANA time zone.")
@click.option("--now", "now", help="Fixed ISO dateTime for today()/now().")
@click.option("--instances", "instances", type=click.Path(dir_okay=False),
              help="JSON object: secondary instance id -> tree or item list, for instance('id').")
@click.option("--batch", is_flag=True, help="Read JSON-line requests on stdin; answer one line each.")
def eval_command(expr: str | None, form: str | None, data: str | None, context: str | None, tz: str,
                 now: str | None, instances: str | None, batch: bool) -> None:
    """Evaluate an XLSForm/ODK expression and print {"value", "type"} as one JSON line."""
    out = sys.stdout
    if batch:
        run_batch(sys.stdin, out)
        return
    if expr is None:
        _emit(out, {"error": "missing EXPR (or use --batch)", "kind": "input"})
        sys.exit(1)
    answer = evaluate_request(expr, form=form, data=data, context=context, tz=tz, now=now, instances=instances)
    _emit(out, answer)
    if "error" in answer:
        sys.exit(1)
