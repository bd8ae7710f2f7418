// XPath number functions and ODK's math extensions (port of functions_math.py): int()
// truncates; round() ties toward +infinity with optional places (decimal, like Python);
// domain errors give NaN, poles infinities, never exceptions.
import { toNumber } from './coercion.js'
import { xfn } from './registry.js'

const tz = (fr) => fr.c.tz

// -- numbers ------------------------------------------------------------------
xfn('int', 1, 1, (fr, v) => {
  const x = toNumber(v, tz(fr))
  return (x !== x || !isFinite(x)) ? x : Math.trunc(x) + 0
})

/** XPath round(): nearest value with `digits` places, ties toward +infinity (decimal, like Python). */
export function roundHalfUp (x, digits = 0) {
  if (x !== x || !isFinite(x)) return x
  if (digits > 30 || digits < -30) return NaN
  if (x === 0) return 0
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential())
  const ds = m[1] + (m[2] || '')
  const e0 = Number(m[3]) - ds.length + 1 // value = ds * 10^e0
  const q = -digits
  let coeff
  if (e0 >= q) {
    coeff = ds + '0'.repeat(e0 - q)
  } else {
    const keep = ds.length - (q - e0)
    const kept = keep > 0 ? ds.slice(0, keep) : ''
    const dropped = keep >= 0 ? ds.slice(keep) : '0'
    let up = dropped[0] > '5' || (dropped[0] === '5' && (/[1-9]/.test(dropped.slice(1)) || x > 0))
    if (keep < 0) up = false
    coeff = up ? increment(kept || '0') : (kept || '0')
  }
  if (coeff.replace(/^0+/, '').length > 28) return x // Decimal's InvalidOperation: keep x
  return Number(`${x < 0 ? '-' : ''}${coeff}e${q}`) + 0
}

function increment (digits) {
  const a = digits.split('')
  let i = a.length - 1
  while (i >= 0 && a[i] === '9') a[i--] = '0'
  if (i < 0) a.unshift('1')
  else a[i] = String(Number(a[i]) + 1)
  return a.join('')
}

xfn('round', 1, 2, (fr, v, places) => {
  const x = toNumber(v, tz(fr))
  if (places === undefined) return roundHalfUp(x)
  const p = toNumber(places, tz(fr))
  return p !== p ? NaN : roundHalfUp(x, Math.trunc(p))
})
xfn('floor', 1, 1, (fr, v) => { const x = toNumber(v, tz(fr)); return (x !== x || !isFinite(x)) ? x : Math.floor(x) + 0 })
xfn('ceiling', 1, 1, (fr, v) => { const x = toNumber(v, tz(fr)); return (x !== x || !isFinite(x)) ? x : Math.ceil(x) + 0 })
xfn('abs', 1, 1, (fr, v) => Math.abs(toNumber(v, tz(fr))))

/** Python's float ** : overflow of finite operands is +inf, 1**x and (-1)**inf are 1. */
export function pyPow (a, b) {
  if (a === 0 && b < 0) return Infinity
  if (a === 1 || b === 0) return 1
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1
  const r = Math.pow(a, b)
  if (!isFinite(r) && r === r && isFinite(a) && isFinite(b)) return Infinity
  return r
}

xfn('pow', 2, 2, (fr, a, b) => pyPow(toNumber(a, tz(fr)), toNumber(b, tz(fr))))

const UNARY_MATH = {
  sqrt: (x) => Math.sqrt(x),
  exp: Math.exp,
  exp10: (x) => pyPow(10, x),
  log: (x) => x === 0 ? -Infinity : (x > 0 || x !== x ? Math.log(x) : NaN),
  log10: (x) => x === 0 ? -Infinity : (x > 0 || x !== x ? Math.log10(x) : NaN),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan
}
for (const [name, op] of Object.entries(UNARY_MATH)) xfn(name, 1, 1, (fr, v) => op(toNumber(v, tz(fr))))
xfn('atan2', 2, 2, (fr, y, x) => Math.atan2(toNumber(y, tz(fr)), toNumber(x, tz(fr))))
xfn('pi', 0, 0, () => Math.PI)

