// Time zone offsets without the machine's TZ: Intl.DateTimeFormat with an explicit
// timeZone gives the wall clock of any instant; wall -> instant follows Python's
// zoneinfo with fold=0 (gaps and repeated hours use the offset before the transition).

const formatters = new Map()
const FIXED = { UTC: 0, 'Etc/UTC': 0, GMT: 0, 'Etc/GMT': 0, Z: 0 }

function formatter (name) {
  let f = formatters.get(name)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short'
    })
    formatters.set(name, f)
  }
  return f
}

/** A time zone object: {name, offsetAt(epochSeconds) -> offset seconds}. */
export function getTz (name) {
  if (name && typeof name === 'object') return name
  if (Object.prototype.hasOwnProperty.call(FIXED, name)) {
    return { name, offsetAt: () => FIXED[name] }
  }
  const f = formatter(name) // throws RangeError for an unknown zone, like ZoneInfo
  const cache = new Map()
  return {
    name,
    offsetAt (epochSec) {
      const hit = cache.get(epochSec)
      if (hit !== undefined) return hit
      const parts = {}
      for (const p of f.formatToParts(new Date(epochSec * 1000))) parts[p.type] = p.value
      let year = Number(parts.year)
      if (parts.era && /^B/i.test(parts.era)) year = 1 - year
      const wall = civilToDays(year, Number(parts.month), Number(parts.day)) * 86400 +
        (Number(parts.hour) % 24) * 3600 + Number(parts.minute) * 60 + Number(parts.second)
      const off = wall - epochSec
      if (cache.size > 4096) cache.clear()
      cache.set(epochSec, off)
      return off
    }
  }
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
export function civilToDays (y, m, d) {
  y -= m <= 2 ? 1 : 0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** {y, m, d} of a day count since 1970-01-01. */
export function daysToCivil (z) {
  z += 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp + (mp < 10 ? 3 : -9)
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d }
}

/** Offset (seconds) Python gives a wall-clock time (seconds since the epoch, as if UTC) in tz. */
export function wallOffset (tz, wallSec) {
  const o1 = tz.offsetAt(wallSec - 86400)
  const o2 = tz.offsetAt(wallSec + 86400)
  if (o1 === o2) return o1
  if (tz.offsetAt(wallSec - o1) === o1) return o1
  if (tz.offsetAt(wallSec - o2) === o2) return o2
  return o1
}
