// ODK-specific functions (port of functions_odk.py): selects, choice labels, control flow,
// regex, ids, digests, geo and indexed-repeat.
import { toBoolean, toNumber, toString } from './coercion.js'
import { NodeSet } from './document.js'
import { ExprError, ExprTypeError } from './errors.js'
import { flatten } from './functions_core.js'
import * as geo from './geo.js'
import { digestBytes, toBase64, toHex } from './digest.js'
import { special, xfn } from './registry.js'

const pySplit = (s) => s.split(/\s+/).filter(Boolean)

// -- select_one / select_multiple -----------------------------------------------
xfn('selected', 2, 2, (fr, values, choice) => pySplit(toString(values)).includes(toString(choice).trim()))
xfn('count-selected', 1, 1, (fr, values) => pySplit(toString(values)).length)
xfn('selected-at', 2, 2, (fr, values, index) => {
  const items = pySplit(toString(values))
  const i = toNumber(index, fr.c.tz)
  if (i !== i || !isFinite(i)) return ''
  const k = Math.trunc(i) // truncated, as JavaRosa's toInt
  return k >= 0 && k < items.length ? items[k] : ''
})
xfn('jr:choice-name', 2, 2, (fr, value, field) => {
  const ref = toString(field).trim()
  let name
  if (ref.startsWith('${') && ref.endsWith('}')) name = ref.slice(2, -1).trim()
  else if (ref.startsWith('/')) name = fr.c.nameForPath(ref) || ref.replace(/\/+$/, '').split('/').pop()
  else name = ref.split('/').pop()
  return fr.c.choiceLabel(name || '', toString(value).trim())
})

// -- checklists (JavaRosa's reading of the spec) ---------------------------------------
/** Java's (int) cast of a double: truncated, NaN is 0, saturating. */
const javaInt = (x) => x !== x ? 0 : Math.trunc(Math.max(-2147483648, Math.min(2147483647, x)))
/** Whether one checklist item counts: a node's value (or any other value) under XPath boolean(). */
const truth = (v) => toBoolean(v instanceof NodeSet ? toString(v) : v)

xfn('checklist', 2, null, (fr, low, high, ...items) => {
  const lo = javaInt(toNumber(low, fr.c.tz))
  const hi = javaInt(toNumber(high, fr.c.tz))
  let count = 0
  for (const item of items) {
    if (item instanceof NodeSet) count += item.nodes.filter((n) => n.text !== '').length // one item per node
    else if (toBoolean(item)) count += 1
  }
  return (lo < 0 || count >= lo) && (hi < 0 || count <= hi)
})
xfn('weighted-checklist', 2, null, (fr, low, high, ...pairs) => {
  const tz = fr.c.tz
  let total = 0
  for (let i = 0; i < pairs.length; i += 2) {
    const flags = pairs[i]
    const weights = pairs[i + 1]
    if (flags instanceof NodeSet && weights instanceof NodeSet) { // node by node
      if (flags.length !== weights.length) {
        throw new ExprTypeError(`weighted-checklist(): paired node-sets differ in length (${flags.length} and ${weights.length})`)
      }
      flags.nodes.forEach((f, k) => { if (f.text !== '') total += toNumber(weights.nodes[k].text, tz) })
    } else if (truth(flags)) total += toNumber(weights, tz)
  }
  return toNumber(low, tz) <= total && total <= toNumber(high, tz)
}, { step: 2 })

// -- control flow -----------------------------------------------------------------
xfn('if', 3, 3, (fr, cond, then, other) => toBoolean(cond(fr)) ? then(fr) : other(fr), { lazy: true })
xfn('coalesce', 2, 2, (fr, a, b) => { const first = toString(a); return first !== '' ? first : toString(b) })
xfn('once', 1, 1, (fr, value) => { const current = fr.c.node.text; return current !== '' ? current : value(fr) }, { lazy: true })

// -- secondary instances -------------------------------------------------------------
xfn('instance', 1, 1, (fr, id) => {
  const doc = fr.c.instanceDocument(toString(id))
  return new NodeSet(doc === null ? [] : [doc])
})
xfn('pulldata', 4, 4, (fr, id, wanted, key, query) => {
  const doc = fr.c.instanceDocument(toString(id))
  if (doc === null) return ''
  const field = toString(wanted); const column = toString(key); const target = toString(query)
  for (const root of doc.named('root')) {
    for (const item of root.named('item')) {
      if (item.named(column).some((k) => k.text === target)) {
        const found = item.named(field)
        return found.length ? found[0].text : ''
      }
    }
  }
  return ''
})

// -- strings ----------------------------------------------------------------------
const regexCache = new Map()

/** A JavaScript RegExp for a Python-syntax pattern (named groups, leading inline flags). */
export function compiledRegex (pattern) {
  let re = regexCache.get(pattern)
  if (re) return re
  let source = pattern
  let flags = ''
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source)
  if (inline) {
    source = source.slice(inline[0].length)
    for (const f of 'ims') if (inline[1].includes(f)) flags += f
  }
  source = source.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\Z/g, '$(?![\\s\\S])').replace(/\\A/g, '^')
  try {
    re = new RegExp(source, flags)
  } catch (e) {
    throw new ExprError(`invalid regular expression '${pattern}': ${e.message}`)
  }
  if (regexCache.size > 1024) regexCache.clear()
  regexCache.set(pattern, re)
  return re
}

xfn('regex', 2, 2, (fr, value, pattern) => compiledRegex(toString(pattern)).test(toString(value)))

// -- ids and randomness -------------------------------------------------------------
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

function randomBytes (n) {
  const out = new Uint8Array(n)
  globalThis.crypto.getRandomValues(out)
  return out
}

/** A random RFC 4122 version 4 UUID. */
export function uuid4 () {
  const b = randomBytes(16)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

xfn('uuid', 0, 1, (fr, length) => {
  if (length === undefined) return uuid4()
  const n = toNumber(length, fr.c.tz)
  if (n !== n || n < 0 || n > 10000) throw new ExprTypeError('uuid() length must be a number from 0 to 10000')
  let out = ''
  while (out.length < Math.trunc(n)) {
    for (const x of randomBytes(64)) if (x < 248 && out.length < Math.trunc(n)) out += ALNUM[x % 62]
  }
  return out
})
xfn('random', 0, 0, () => Math.random())

const DIGESTS = { MD5: 'MD5', 'SHA-1': 'SHA-1', 'SHA-256': 'SHA-256', 'SHA-384': 'SHA-384', 'SHA-512': 'SHA-512' }
xfn('digest', 2, 3, (fr, message, algorithm, encoding = 'base64') => {
  const alg = DIGESTS[toString(algorithm).trim().toUpperCase()]
  if (!alg) throw new ExprError(`digest(): unsupported algorithm '${toString(algorithm)}'`)
  const raw = digestBytes(toString(message), alg)
  const enc = toString(encoding).trim().toLowerCase()
  if (enc === 'hex') return toHex(raw)
  if (enc === 'base64') return toBase64(raw)
  throw new ExprError(`digest(): unsupported encoding '${toString(encoding)}'`)
})

// -- geo ------------------------------------------------------------------------------
function points (vals) {
  try {
    return geo.parsePoints(flatten(vals))
  } catch (e) {
    if (e instanceof geo.GeoError) throw new ExprTypeError(e.message)
    throw e
  }
}

xfn('area', 1, 1, (fr, shape) => geo.polygonArea(points([shape])))
xfn('enclosed-area', 1, 1, (fr, shape) => geo.polygonArea(points([shape]))) // the ODK XForms spec's name
xfn('distance', 1, null, (fr, ...vals) => geo.pathLength(points(vals)))
xfn('geofence', 2, 2, (fr, point, shape) => {
  const text = toString(point).trim()
  if (text === '') return false
  return geo.pointInPolygon(points([text])[0], points([shape]))
})

// -- repeats --------------------------------------------------------------------------
function staticNames (arg) {
  if (arg.t === 'ref') return (c) => c.refPath(arg.name)
  if (arg.t === 'path' && arg.absolute && !arg.base && arg.steps.every((s) =>
    s.axis === 'child' && !s.predicates.length && s.name !== '*' && s.name !== 'node()')) {
    const names = arg.steps.map((s) => s.name)
    return () => names
  }
  return () => { throw new ExprTypeError('indexed-repeat() needs ${name} references or absolute paths') }
}

/** indexed-repeat(field, repeat1, index1[, repeat2, index2[, repeat3, index3]]). */
special('indexed-repeat', 3, 7, (asts, args) => {
  const target = staticNames(asts[0])
  const pairs = []
  for (let i = 1; i < asts.length; i += 2) pairs.push([staticNames(asts[i]), args[i + 1]])
  return (fr) => {
    const c = fr.c
    const names = target(c)
    const indices = c.contextualIndices(names)
    for (const [repeatNames, index] of pairs) {
      const rnames = repeatNames(c)
      if (rnames.length >= names.length || rnames.some((n, i) => names[i] !== n)) {
        throw new ExprTypeError(`indexed-repeat(): ${rnames.join('/')} is not a repeat containing ${names.join('/')}`)
      }
      const i = toNumber(index(fr), c.tz)
      // JavaRosa truncates the index and treats <= 0 (e.g. an unanswered count) as 1
      const n = i === i && isFinite(i) ? Math.trunc(i) : 0
      indices[rnames.length - 1] = Math.max(1, n)
    }
    return c.resolveNames(names, indices, true)
  }
}, 2)

