// XPath 1.0 coercions and comparisons with ODK's date extension (port of coercion.py):
// date and dateTime strings are the whole days since 1970-01-01 of their local calendar day
// when used as numbers, and = / != between two of them compares those days (as JavaRosa).
import { stringToDays } from './dates.js'
import { NodeSet } from './document.js'
import { numberToString } from './numbers.js'

export { numberToString }

const NUMBER_RE = /^\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*$/

/** XPath number(string), extended so date and dateTime strings become (fractional) days. */
export function stringToNumber (s, tz) {
  const m = NUMBER_RE.exec(s)
  if (m !== null) return Number(m[1])
  const days = stringToDays(s, tz)
  return days === null ? NaN : days
}

/** String equality, except that two date/dateTime strings are equal when they fall on the same local day. */
export function sameText (a, b, tz) {
  if (a === b) return true
  const left = stringToDays(a, tz)
  if (left === null) return false
  return left === stringToDays(b, tz)
}

/** XPath string(): node-sets give the first node's string-value ('' if empty). */
export function toString (v) {
  switch (typeof v) {
    case 'string': return v
    case 'number': return numberToString(v)
    case 'boolean': return v ? 'true' : 'false'
  }
  if (v instanceof NodeSet) return v.nodes.length ? v.nodes[0].text : ''
  throw new TypeError(`not an XPath value: ${v}`)
}

/** XPath number(): '' and non-numeric strings are NaN; true is 1; dates are days. */
export function toNumber (v, tz) {
  switch (typeof v) {
    case 'number': return v
    case 'string': return stringToNumber(v, tz)
    case 'boolean': return v ? 1 : 0
  }
  if (v instanceof NodeSet) return v.nodes.length ? stringToNumber(v.nodes[0].text, tz) : NaN
  throw new TypeError(`not an XPath value: ${v}`)
}

/** XPath boolean(): non-empty strings and node-sets, non-zero non-NaN numbers are true. */
export function toBoolean (v) {
  switch (typeof v) {
    case 'boolean': return v
    case 'string': return v !== ''
    case 'number': return !(v === 0 || v !== v)
  }
  if (v instanceof NodeSet) return v.nodes.length > 0
  throw new TypeError(`not an XPath value: ${v}`)
}

/** The XPath type of a value: string, number, boolean or nodeset. */
export function typeName (v) {
  if (typeof v === 'boolean') return 'boolean'
  if (typeof v === 'number') return 'number'
  if (v instanceof NodeSet) return 'nodeset'
  return 'string'
}

function cmpNumbers (op, a, b) {
  switch (op) {
    case '=': return a === b
    case '!=': return a !== b
    case '<': return a < b
    case '<=': return a <= b
    case '>': return a > b
    default: return a >= b
  }
}

function cmpAtoms (op, a, b, tz) {
  if (op === '=' || op === '!=') {
    let eq
    if (typeof a === 'boolean' || typeof b === 'boolean') eq = toBoolean(a) === toBoolean(b)
    else if (typeof a === 'number' || typeof b === 'number') eq = toNumber(a, tz) === toNumber(b, tz)
    else eq = sameText(toString(a), toString(b), tz)
    return op === '=' ? eq : !eq
  }
  return cmpNumbers(op, toNumber(a, tz), toNumber(b, tz))
}

const MIRROR = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' }

/** a op b with XPath 1.0 coercions (existential over node-sets). */
export function compare (op, a, b, tz) {
  const aNs = a instanceof NodeSet
  const bNs = b instanceof NodeSet
  if (!aNs && !bNs) return cmpAtoms(op, a, b, tz)
  if (aNs && bNs) {
    if (op === '=' || op === '!=') {
      const right = new Set(b.nodes.map((n) => n.text))
      if (op === '=') {
        return a.nodes.some((n) => right.has(n.text)) ||
          a.nodes.some((n) => { for (const r of right) if (sameText(n.text, r, tz)) return true; return false })
      }
      return a.nodes.some((n) => { for (const r of right) if (!sameText(n.text, r, tz)) return true; return false })
    }
    const rnums = b.nodes.map((n) => stringToNumber(n.text, tz))
    return a.nodes.some((n) => { const x = stringToNumber(n.text, tz); return rnums.some((r) => cmpNumbers(op, x, r)) })
  }
  if (bNs) return compare(MIRROR[op], b, a, tz)
  if (typeof b === 'boolean') {
    const left = toBoolean(a)
    if (op === '=') return left === b
    if (op === '!=') return left !== b
    return cmpNumbers(op, left ? 1 : 0, b ? 1 : 0)
  }
  if (typeof b === 'number' || (op !== '=' && op !== '!=')) {
    const right = toNumber(b, tz)
    return a.nodes.some((n) => cmpNumbers(op, stringToNumber(n.text, tz), right))
  }
  const rightS = toString(b)
  if (op === '=') return a.nodes.some((n) => sameText(n.text, rightS, tz))
  return a.nodes.some((n) => !sameText(n.text, rightS, tz))
}
