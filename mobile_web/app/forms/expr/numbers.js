// Number formatting and parsing shared by coercion and functions, mirroring Python's float.

/** Format as JavaRosa does: 3 -> '3', NaN -> 'NaN', never exponent notation. */
export function numberToString (x) {
  if (x !== x) return 'NaN'
  if (x === Infinity) return 'Infinity'
  if (x === -Infinity) return '-Infinity'
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x + 0)
  const text = String(x)
  return /e/i.test(text) ? expandExponent(text) : text
}

/** '1.5e-7' -> '0.00000015' (the digits of the shortest round-trip form, placed). */
export function expandExponent (text) {
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/i.exec(text)
  if (!m) return text
  const digits = m[2] + (m[3] || '')
  const point = 1 + Number(m[4])
  let body
  if (point <= 0) body = '0.' + '0'.repeat(-point) + digits
  else if (point >= digits.length) body = digits + '0'.repeat(point - digits.length)
  else body = digits.slice(0, point) + '.' + digits.slice(point)
  return m[1] + body
}

const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/

/** Python float(text), or null where Python raises ValueError. */
export function pyFloat (text) {
  const s = text.trim()
  if (PY_FLOAT.test(s)) return Number(s.replace(/_/g, ''))
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(s)
  if (!m) return null
  if (m[2].toLowerCase() === 'nan') return NaN
  return m[1] === '-' ? -Infinity : Infinity
}

/** Python round(x) to an integer: ties to even. */
export function roundHalfEven (x) {
  const r = Math.round(x)
  return (r - x === 0.5 && r % 2 !== 0) ? r - 1 : r
}
