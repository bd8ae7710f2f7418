// Answer text in the forms ODK and the server expect, from and to HTML input values.
import { getTzOffsetSeconds } from './expr/tz_offset.js'

const p2 = (n) => String(n).padStart(2, '0')

function offsetText (sec) {
  const total = Math.floor(sec / 60)
  const a = Math.abs(total)
  return `${total < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}:${p2(a % 60)}`
}

/** Wall-clock parts of an instant (ms) in tz, and the offset text. */
export function wallParts (ms, tz) {
  const off = getTzOffsetSeconds(tz, Math.floor(ms / 1000))
  const d = new Date(ms + off * 1000)
  return {
    date: `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`,
    time: `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`,
    offset: offsetText(off)
  }
}

/** A moment as ODK text: date 'YYYY-MM-DD', time 'HH:MM:SS.mmm+08:00', dateTime both. */
export function formatValue (type, ms, tz) {
  const w = wallParts(ms, tz)
  if (type === 'date') return w.date
  if (type === 'time') return `${w.time}${w.offset}`
  return `${w.date}T${w.time}${w.offset}`
}

/** ODK answer text -> value for <input type=date|time|datetime-local>. */
export function toInput (type, text) {
  if (!text) return ''
  if (type === 'date') return text.slice(0, 10)
  if (type === 'time') return text.slice(0, 5)
  if (type === 'dateTime') return text.slice(0, 16)
  return text
}

/** <input> value -> ODK answer text (times carry the zone's offset on that date). */
export function fromInput (type, value, tz) {
  if (!value) return ''
  if (type === 'time') {
    const today = wallParts(Date.now(), tz)
    return `${value.slice(0, 5)}:00.000${today.offset}`
  }
  if (type === 'dateTime') {
    const guess = Date.parse(`${value.slice(0, 16)}:00Z`)
    const off = getTzOffsetSeconds(tz, Math.floor(guess / 1000) - 8 * 3600)
    return `${value.slice(0, 16)}:00.000${offsetText(off)}`
  }
  return value
}
