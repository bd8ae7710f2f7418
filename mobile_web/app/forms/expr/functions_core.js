// XPath 1.0 core functions with ODK's extensions (port of functions_core.py): sum() skips
// non-numbers as JavaRosa does; concat() flattens node-sets. Number functions: functions_math.js.
import { stringToNumber, toBoolean, toNumber, toString } from './coercion.js'
import { NodeSet } from './document.js'
import { ExprTypeError } from './errors.js'
import { xfn } from './registry.js'

function nodesOf (v, fname) {
  if (v instanceof NodeSet) return v.nodes
  throw new ExprTypeError(`${fname}() needs a node-set argument, got '${toString(v)}'`)
}

/** String values of the arguments, expanding node-sets to every node's value. */
export function flatten (values) {
  const out = []
  for (const v of values) {
    if (v instanceof NodeSet) for (const n of v.nodes) out.push(n.text)
    else out.push(toString(v))
  }
  return out
}

const chars = (s) => Array.from(s) // code points, as Python indexes strings
const pySplit = (s) => s.split(/\s+/).filter(Boolean)
const tz = (fr) => fr.c.tz

// -- strings ------------------------------------------------------------------
xfn('string', 0, 1, (fr, v) => v === undefined ? fr.node.text : toString(v))
xfn('concat', 0, null, (fr, ...vals) => flatten(vals).join(''))
xfn('join', 1, null, (fr, sep, ...vals) => flatten(vals).join(toString(sep)))
xfn('contains', 2, 2, (fr, a, b) => toString(a).includes(toString(b)))
xfn('starts-with', 2, 2, (fr, a, b) => toString(a).startsWith(toString(b)))
xfn('ends-with', 2, 2, (fr, a, b) => toString(a).endsWith(toString(b)))
xfn('substring-before', 2, 2, (fr, a, b) => {
  const s = toString(a); const i = s.indexOf(toString(b))
  return i >= 0 ? s.slice(0, i) : ''
})
xfn('substring-after', 2, 2, (fr, a, b) => {
  const s = toString(a); const t = toString(b); const i = s.indexOf(t)
  return i >= 0 ? s.slice(i + t.length) : ''
})
/** A substr() index as JavaRosa reads it: truncated (NaN is 0), negative counts from the end, clipped. */
function substrIndex (x, n) {
  let i = x !== x ? 0 : Math.trunc(Math.max(-1e10, Math.min(1e10, x)))
  if (i < 0) i += n
  return Math.max(0, Math.min(n, i))
}

xfn('substr', 2, 3, (fr, a, start, end) => {
  const s = chars(toString(a))
  const n = s.length
  const bi = substrIndex(toNumber(start, tz(fr)), n)
  const ei = end === undefined ? n : substrIndex(toNumber(end, tz(fr)), n)
  return bi < ei ? s.slice(bi, ei).join('') : ''
})

const xpathRound = (x) => (x !== x || !isFinite(x)) ? x : Math.floor(x + 0.5)

xfn('substring', 2, 3, (fr, a, start, length) => {
  const s = chars(toString(a))
  const first = xpathRound(toNumber(start, tz(fr)))
  const last = length === undefined ? Infinity : first + xpathRound(toNumber(length, tz(fr)))
  if (first !== first || last !== last) return ''
  return s.filter((ch, i) => first <= i + 1 && i + 1 < last).join('')
})
xfn('string-length', 0, 1, (fr, v) => chars(v === undefined ? fr.node.text : toString(v)).length)
xfn('normalize-space', 0, 1, (fr, v) => pySplit(v === undefined ? fr.node.text : toString(v)).join(' '))
xfn('translate', 3, 3, (fr, a, b, c) => {
  const from = chars(toString(b)); const to = chars(toString(c))
  const table = new Map()
  from.forEach((ch, i) => { if (!table.has(ch)) table.set(ch, i < to.length ? to[i] : '') })
  return chars(toString(a)).map((ch) => table.has(ch) ? table.get(ch) : ch).join('')
})

xfn('number', 0, 1, (fr, v) => v === undefined ? stringToNumber(fr.node.text, tz(fr)) : toNumber(v, tz(fr)))

// -- booleans -----------------------------------------------------------------
xfn('boolean', 1, 1, (fr, v) => toBoolean(v))
xfn('boolean-from-string', 1, 1, (fr, v) => { const t = toString(v).trim(); return t === '1' || t.toLowerCase() === 'true' })
xfn('not', 1, 1, (fr, v) => !toBoolean(v))
xfn('true', 0, 0, () => true)
xfn('false', 0, 0, () => false)

// -- node-sets and aggregates ---------------------------------------------------
xfn('count', 1, 1, (fr, v) => nodesOf(v, 'count').length)
xfn('count-non-empty', 1, 1, (fr, v) => nodesOf(v, 'count-non-empty').filter((n) => n.text !== '').length)
xfn('sum', 1, 1, (fr, v) => {
  let total = 0
  for (const n of nodesOf(v, 'sum')) {
    const x = stringToNumber(n.text, tz(fr))
    if (x === x) total += x
  }
  return total
})

function numbers (fr, vals) {
  const out = []
  for (const v of vals) {
    if (v instanceof NodeSet) for (const n of v.nodes) out.push(stringToNumber(n.text, tz(fr)))
    else out.push(toNumber(v, tz(fr)))
  }
  return out
}

function extreme (nums, better) {
  if (!nums.length || nums.some((x) => x !== x)) return NaN
  let best = nums[0]
  for (const x of nums) if (better(x, best)) best = x
  return best
}

xfn('max', 1, null, (fr, ...vals) => extreme(numbers(fr, vals), (x, b) => x > b))
xfn('min', 1, null, (fr, ...vals) => extreme(numbers(fr, vals), (x, b) => x < b))
xfn('position', 0, 1, (fr, v) => {
  if (v === undefined) return fr.pos || fr.node.index
  const nodes = nodesOf(v, 'position')
  return nodes.length ? nodes[0].index : NaN
})
xfn('last', 0, 0, (fr) => fr.size || 1)

function name (fr, v) {
  if (v === undefined) return fr.node.name
  const nodes = nodesOf(v, 'name')
  return nodes.length ? nodes[0].name : ''
}
xfn('name', 0, 1, name)
xfn('local-name', 0, 1, (fr, v) => { const parts = name(fr, v).split(':'); return parts[parts.length - 1] })
xfn('current', 0, 0, (fr) => new NodeSet([fr.c.node]))
