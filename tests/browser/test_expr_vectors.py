"""The client's expression engine passes every shared vector inside Chromium too, not only in Node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "expressions.json"

# Runs in the page: the same checks as tests/mobile_web/expr.test.mjs, returning the failures.
RUNNER = """
async ([suite, moduleUrl]) => {
  const { EvalContext, ExprError, NodeSet, evaluate, parse, toString, typeName } = await import(moduleUrl)
  const SPECIAL = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity }
  const failures = []
  for (const c of suite.cases) {
    const now = c.now || suite.defaults.now
    const ctx = () => new EvalContext({ data: c.data, refs: c.refs, context: c.context, tz: c.tz || suite.defaults.tz,
      clock: () => now, choices: c.choices, field_lists: c.field_lists, repeats: c.repeats || [],
      instances: c.instances })
    try {
      if (c.error) {
        let caught = null
        try { evaluate(parse(c.expr), ctx()) } catch (e) { caught = e }
        if (!(caught instanceof ExprError) || caught.kind !== c.error) failures.push([c.id, 'error', String(caught)])
        continue
      }
      const value = evaluate(c.expr, ctx())
      if (typeName(value) !== c.type) { failures.push([c.id, 'type', typeName(value)]); continue }
      if ('expected_regex' in c) {
        if (!new RegExp(c.expected_regex).test(toString(value))) failures.push([c.id, 'regex', toString(value)])
      } else if (c.type === 'number') {
        const want = typeof c.expected === 'string' ? SPECIAL[c.expected] : Number(c.expected)
        const ok = Number.isNaN(want) ? Number.isNaN(value)
          : !Number.isFinite(want) ? value === want
          : Math.abs(value - want) <= (c.tolerance || Math.abs(want) * 1e-12)
        if (!ok) failures.push([c.id, 'number', String(value)])
      } else if (c.type === 'nodeset') {
        if (!(value instanceof NodeSet) || JSON.stringify(value.strings()) !== JSON.stringify(c.expected)) {
          failures.push([c.id, 'nodeset', JSON.stringify(value.strings ? value.strings() : value)])
        }
      } else if (value !== c.expected) failures.push([c.id, 'value', String(value)])
    } catch (e) { failures.push([c.id, 'threw', String(e)]) }
  }
  return { count: suite.cases.length, failures }
}
"""


def test_every_vector_passes_in_chromium(page: Any, live_server: Any) -> None:
    suite = json.loads(VECTORS.read_text(encoding="utf-8"))
    page.goto(live_server.url + "/m/")
    result = page.evaluate(RUNNER, [suite, live_server.url + "/m/app/forms/expr.js"])
    assert result["count"] == len(suite["cases"]) >= 320
    assert result["failures"] == []
