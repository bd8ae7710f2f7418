// Dates, dateTimes and times for ODK's date functions (port of dates.py). A date is
// {y, m, d}; a dateTime is {dt: true, sec, us, off}: whole UTC seconds since the epoch,
// microseconds, and the UTC offset (seconds) it is shown in. As in JavaRosa, a date or
// dateTime used as a number is the whole days since 1970-01-01 of the local calendar day it
// falls on; decimal-date-time() keeps the instant as fractional days in UTC. An offset of 24
// hours or more, or a dateTime outside years 1-9999 (in UTC or locally), is not a date.
import { civilToDays, daysToCivil, getTz, wallOffset } from './tz.js'
import { roundHalfEven } from './numbers.js'

export const DEFAULT_TZ_NAME = 'Asia/Shanghai'
export { getTz }

const DATE_RE = /^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})\s*$/
const DATETIME_RE = /^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?\s*$/
const TIME_RE = /^\s*([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?\s*(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?\s*$/
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

/** Offset seconds of a suffix: null when there is none, NaN when out of range. */
function offsetSeconds (text) {
  if (text === undefined) return null
  if (text === 'Z') return 0
  const sign = text[0] === '-' ? -1 : 1
  const digits = text.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  if (hours > 23 || minutes > 59) return NaN
  return sign * (hours * 3600 + minutes * 60)
}

const yearOk = (y) => y >= 1 && y <= 9999

/** Whether a date, or a dateTime both in UTC and in its own offset, falls in years 1-9999. */
export function inRange (t) {
  if (!t.dt) return yearOk(t.y)
  return yearOk(fields({ ...t, off: 0 }).y) && yearOk(fields(t).y)
}

function validDate (y, m, d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false
  const dim = [31, (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  return d <= dim[m - 1]
}

const micro = (frac) => Number((frac || '0').slice(0, 6).padEnd(6, '0'))

/** A dateTime from wall-clock fields; off null means 'in tz' (Python's replace(tzinfo=tz)). */
export function fromWall (y, mo, d, hh, mi, ss, us, off, tz) {
  const wall = civilToDays(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss
  const o = off === null ? wallOffset(tz, wall) : off
  return { dt: true, sec: wall - o, us, off: o }
}

/** Re-express a dateTime in tz (Python's astimezone). */
export function inZone (dt, tz) {
  return { dt: true, sec: dt.sec, us: dt.us, off: tz.offsetAt(dt.sec) }
}

/** Wall-clock fields of a dateTime in its own offset. */
export function fields (dt) {
  const wall = dt.sec + dt.off
  const days = Math.floor(wall / 86400)
  const rest = wall - days * 86400
  const c = daysToCivil(days)
  return { y: c.y, m: c.m, d: c.d, hh: Math.floor(rest / 3600), mi: Math.floor(rest % 3600 / 60), ss: rest % 60, us: dt.us }
}

/** Parse 'YYYY-MM-DD' (null if not a valid calendar date). */
export function parseDate (s) {
  const m = DATE_RE.exec(s)
  if (!m) return null
  const y = Number(m[1]); const mo = Number(m[2]); const d = Number(m[3])
  return validDate(y, mo, d) ? { y, m: mo, d } : null
}

/** Parse an ISO dateTime; values without an offset are wall-clock time in tz. */
export function parseDatetime (s, tz) {
  const m = DATETIME_RE.exec(s)
  if (!m) return null
  const [y, mo, d, hh, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]))
  const ss = Number(m[6] || 0)
  const off = offsetSeconds(m[8])
  if (!validDate(y, mo, d) || hh > 23 || mi > 59 || ss > 59 || Number.isNaN(off)) return null
  const dt = fromWall(y, mo, d, hh, mi, ss, micro(m[7]), off, tz)
  return inRange(dt) && inRange(inZone(dt, tz)) ? dt : null
}

export const dateToDays = (d) => civilToDays(d.y, d.m, d.d)

export const datetimeToDays = (dt) => (dt.sec + dt.us / 1e6) / 86400

/** Whole days since 1970-01-01 of the local calendar day of a date or dateTime string, else null. */
export function stringToDays (s, tz) {
  if (s.length < 10 || !/^[0-9]{4}/.test(s.trimStart().slice(0, 4))) return null
  const d = parseDate(s)
  if (d !== null) return dateToDays(d)
  const dt = parseDatetime(s, tz)
  return dt === null ? null : dateToDays(fields(inZone(dt, tz)))
}

export const daysToDate = (days) => daysToCivil(Math.floor(days))

/** The instant a fractional day count denotes, shown in tz. */
export function daysToDatetime (days, tz) {
  const ms = roundHalfEven(days * 86400000)
  const sec = Math.floor(ms / 1000)
  return inZone({ dt: true, sec, us: (ms - sec * 1000) * 1000, off: 0 }, tz)
}

const p2 = (n) => String(n).padStart(2, '0')
const p4 = (n) => String(n).padStart(4, '0')

export const formatIsoDate = (d) => `${p4(d.y)}-${p2(d.m)}-${p2(d.d)}`

/** ODK's dateTime form: 'YYYY-MM-DDTHH:MM:SS.mmm+08:00'. */
export function formatIsoDatetime (dt) {
  const f = fields(dt)
  const total = Math.floor(dt.off / 60)
  const sign = total < 0 ? '-' : '+'
  const a = Math.abs(total)
  return `${formatIsoDate(f)}T${p2(f.hh)}:${p2(f.mi)}:${p2(f.ss)}.${String(Math.floor(f.us / 1000)).padStart(3, '0')}` +
    `${sign}${p2(Math.floor(a / 60))}:${p2(a % 60)}`
}

/** Fraction of the day (in tz) of a 'HH:MM[:SS[.sss]][offset]' time on date `on`, or null. */
export function parseTimeFraction (s, tz, on) {
  const m = TIME_RE.exec(s)
  if (!m) return null
  const h = Number(m[1]); const mi = Number(m[2]); const sec = Number(m[3] || 0)
  const off = offsetSeconds(m[5])
  if (h > 23 || mi > 59 || sec > 59 || Number.isNaN(off)) return null
  const wall = fields(inZone(fromWall(on.y, on.m, on.d, h, mi, sec, micro(m[4]), off, tz), tz))
  return (wall.hh * 3600 + wall.mi * 60 + wall.ss + wall.us / 1e6) / 86400
}

/** Apply ODK format-date tokens: %Y %y %m %n %b %d %e %a %H %h %M %S %3. */
export function strftimeOdk (t, fmt) {
  const f = t.dt ? fields(t) : { y: t.y, m: t.m, d: t.d, hh: 0, mi: 0, ss: 0, us: 0 }
  const weekday = ((civilToDays(f.y, f.m, f.d) + 3) % 7 + 7) % 7
  let out = ''
  for (let i = 0; i < fmt.length;) {
    const c = fmt[i]
    if (c !== '%' || i + 1 >= fmt.length) { out += c; i++; continue }
    const k = fmt[i + 1]
    i += 2
    switch (k) {
      case 'Y': out += p4(f.y); break
      case 'y': out += p2(f.y % 100); break
      case 'm': out += p2(f.m); break
      case 'n': out += String(f.m); break
      case 'b': out += MONTHS[f.m - 1]; break
      case 'd': out += p2(f.d); break
      case 'e': out += String(f.d); break
      case 'a': out += DAYS[weekday]; break
      case 'H': out += p2(f.hh); break
      case 'h': out += String(f.hh); break
      case 'M': out += p2(f.mi); break
      case 'S': out += p2(f.ss); break
      case '3': out += String(Math.floor(f.us / 1000)).padStart(3, '0'); break
      case '%': out += '%'; break
      default: out += '%' + k
    }
  }
  return out
}
