// Runs every shared expression vector (tests/vectors/expressions.json) against the
// offline client's JavaScript engine, as tests/unit/forms/test_expr_vectors.py does for Python.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  EvalContext, ExprError, NodeSet, checkCalls, evaluate, parse, toString, typeName
} from '../../mobile_web/app/forms/expr.js'

const VECTORS = fileURLToPath(new URL('../vectors/expressions.json', import.meta.url))
const SUITE = JSON.parse(readFileSync(VECTORS, 'utf8'))
const DEFAULTS = SUITE.defaults
const SPECIAL = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity }

function contextFor (c) {
  const now = c.now || DEFAULTS.now
  return new EvalContext({
    data: c.data,
    refs: c.refs,
    context: c.context,
    tz: c.tz || DEFAULTS.tz,
    clock: () => now,
    choices: c.choices,
    field_lists: c.field_lists,
    repeats: c.repeats || [],
    instances: c.instances
  })
}

function checkNumber (actual, expected, tolerance) {
  const want = typeof expected === 'string' ? SPECIAL[expected] : Number(expected)
  if (Number.isNaN(want)) return assert.ok(Number.isNaN(actual), `expected NaN, got ${actual}`)
  if (!Number.isFinite(want)) return assert.equal(actual, want)
  const allowed = tolerance || Math.abs(want) * 1e-12
  assert.ok(Math.abs(actual - want) <= allowed, `expected ${want} (±${allowed}), got ${actual}`)
}

test('vector file is well formed', () => {
  const ids = SUITE.cases.map((c) => c.id)
  assert.equal(SUITE.version, 1)
  assert.equal(new Set(ids).size, ids.length)
  assert.ok(ids.length >= 320)
})

for (const c of SUITE.cases) {
  test(`${c.id}: ${c.expr}`, () => {
    if (c.error) {
      let caught = null
      try {
        evaluate(parse(c.expr), contextFor(c))
      } catch (e) {
        caught = e
      }
      assert.ok(caught instanceof ExprError, `expected ${c.error} error, got ${caught === null ? 'a value' : caught}`)
      assert.equal(caught.kind, c.error, caught.message)
      if ('position' in c) assert.equal(caught.position, c.position)
      return
    }
    const value = evaluate(c.expr, contextFor(c))
    assert.equal(typeName(value), c.type, `got ${typeof value === 'object' ? JSON.stringify(value.strings()) : value}`)
    if ('expected_regex' in c) assert.match(toString(value), new RegExp(c.expected_regex))
    else if (c.type === 'number') checkNumber(value, c.expected, c.tolerance || 0)
    else if (c.type === 'nodeset') {
      assert.ok(value instanceof NodeSet)
      assert.deepEqual(value.strings(), c.expected)
    } else assert.equal(value, c.expected)
  })
}

test('parse is cached and lists refs and functions', () => {
  const e = parse("if(${a} > 1, concat(${b}, 'x'), '')")
  assert.equal(parse("if(${a} > 1, concat(${b}, 'x'), '')"), e)
  assert.deepEqual([...e.refs].sort(), ['a', 'b'])
  assert.deepEqual([...e.functions].sort(), ['concat', 'if'])
  assert.deepEqual(checkCalls('foo(1) + round()'), [
    'unknown function foo() at position 0', 'round() takes 1 to 2 argument(s), got 0 at position 9'])
})

test('at() re-points a context inside a repeat', () => {
  const ctx = new EvalContext({
    data: { data: { m: [{ age: '3' }, { age: '40' }] } },
    refs: { age: '/data/m/age' }
  })
  assert.equal(evaluate('${age} * 2', ctx.at('/data/m[2]/age')), 80)
  assert.equal(evaluate('count(${age})', ctx), 2)
})
