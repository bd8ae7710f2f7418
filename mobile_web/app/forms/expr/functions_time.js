// ODK date and time functions (port of functions_time.py): today, now, date, date-time,
// decimal-*, format-date*. Empty input gives empty output.
import { toString } from './coercion.js'
import {
  datetimeToDays, daysToDate, daysToDatetime, fields, formatIsoDate, formatIsoDatetime, fromWall, inRange, inZone,
  parseDate, parseDatetime, parseTimeFraction, strftimeOdk
} from './dates.js'
import { NodeSet } from './document.js'
import { ExprTypeError } from './errors.js'
import { xfn } from './registry.js'

const NUMBER_CHARS = /^[0-9.\- ]+$/
const MAX_DAYS = 2900000 // about year 9900 either side of 1970; Python dates end at 9999

/** A value as a date {y,m,d} or dateTime (numbers are days); null for '' or NaN. */
export function temporal (v, tz, asDatetime) {
  if (typeof v === 'boolean') throw new ExprTypeError(`cannot convert boolean ${v ? 'True' : 'False'} to a date`)
  if (typeof v === 'number') {
    if (v !== v) return null
    if (!(v > -MAX_DAYS && v < MAX_DAYS)) throw new ExprTypeError(`${v} days is out of range for a date`)
    const t = asDatetime ? daysToDatetime(v, tz) : daysToDate(v)
    if (!inRange(t)) throw new ExprTypeError(`${v} days is out of range for a date`) // before year 1 (in UTC or in tz)
    return t
  }
  let s = v instanceof NodeSet ? (v.nodes.length ? v.nodes[0].text : '') : toString(v)
  s = s.trim()
  if (s === '') return null
  const d = parseDate(s)
  if (d !== null) return d
  const dt = parseDatetime(s, tz)
  if (dt !== null) return inZone(dt, tz)
  if (NUMBER_CHARS.test(s) && /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/.test(s.trim())) return temporal(Number(s), tz, asDatetime)
  throw new ExprTypeError(`cannot convert '${s}' to a date`)
}

const midnight = (d, tz) => fromWall(d.y, d.m, d.d, 0, 0, 0, 0, null, tz)

xfn('today', 0, 0, (fr) => formatIsoDate(fields(fr.c.now())))
xfn('now', 0, 0, (fr) => formatIsoDatetime(fr.c.now()))
xfn('date', 1, 1, (fr, v) => {
  const t = temporal(v, fr.c.tz, false)
  if (t === null) return ''
  return formatIsoDate(t.dt ? fields(t) : t)
})
xfn('date-time', 1, 1, (fr, v) => {
  const tz = fr.c.tz
  const t = temporal(v, tz, true)
  if (t === null) return ''
  return formatIsoDatetime(t.dt ? t : midnight(t, tz))
})
xfn('decimal-date-time', 1, 1, (fr, v) => {
  if (typeof v === 'number') return v
  const t = temporal(v, fr.c.tz, true)
  if (t === null) return NaN
  return datetimeToDays(t.dt ? t : midnight(t, fr.c.tz)) // a date is local midnight, as in JavaRosa
})
xfn('decimal-time', 1, 1, (fr, v) => {
  const s = toString(v).trim()
  if (s === '') return NaN
  const tz = fr.c.tz
  const dt = parseDatetime(s, tz)
  if (dt !== null) {
    const w = fields(inZone(dt, tz))
    return (w.hh * 3600 + w.mi * 60 + w.ss + w.us / 1e6) / 86400
  }
  const frac = parseTimeFraction(s, tz, fields(fr.c.now()))
  return frac === null ? NaN : frac
})

function format (fr, v, fmt, asDatetime) {
  let t
  try {
    t = temporal(v, fr.c.tz, asDatetime)
  } catch (e) {
    if (e instanceof ExprTypeError) return ''
    throw e
  }
  return t === null ? '' : strftimeOdk(t, toString(fmt))
}

xfn('format-date', 2, 2, (fr, v, fmt) => format(fr, v, fmt, false))
xfn('format-date-time', 2, 2, (fr, v, fmt) => format(fr, v, fmt, true))
