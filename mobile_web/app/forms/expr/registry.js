// Function table: name -> implementation and arity, filled by the functions_* modules.

export const FUNCTIONS = new Map()

/** A message if n arguments is not a valid call of spec, else null. */
export function arityProblem (spec, n) {
  let ok = n >= spec.min && (spec.max === null || n <= spec.max)
  ok = ok && (n - spec.min) % spec.step === 0
  if (ok) return null
  let want
  if (spec.max === spec.min) want = String(spec.min)
  else if (spec.max === null) want = `at least ${spec.min}` + (spec.step > 1 ? ` (in steps of ${spec.step})` : '')
  else want = `${spec.min} to ${spec.max}`
  return `${spec.name}() takes ${want} argument(s), got ${n}`
}

/** Register impl(frame, ...values); max undefined = same as min, null = unbounded; lazy gets closures. */
export function xfn (name, min, max, impl, { lazy = false, step = 1 } = {}) {
  FUNCTIONS.set(name, { name, impl, min, max: max === undefined ? min : max, lazy, step, special: null })
}

/** Register a function built at compile time from its argument ASTs (e.g. indexed-repeat). */
export function special (name, min, max, builder, step = 1) {
  FUNCTIONS.set(name, { name, impl: null, min, max, lazy: false, step, special: builder })
}
