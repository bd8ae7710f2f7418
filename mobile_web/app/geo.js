// Geolocation with a timeout and an accuracy goal: keeps the best fix seen, stops when it
// is accurate enough or time runs out, and reports progress for the screen.

/**
 * locate({timeoutMs, goodAccuracy, onProgress}) -> Promise<{lat, lon, altitude, accuracy}>.
 * Rejects with {code: 'denied'|'unavailable'|'timeout', message} when no fix came at all.
 */
export function locate ({ timeoutMs = 45000, goodAccuracy = 10, onProgress = () => {}, geolocation = globalThis.navigator && navigator.geolocation } = {}) {
  return new Promise((resolve, reject) => {
    if (!geolocation) return reject({ code: 'unavailable', message: 'no geolocation' })
    let best = null
    let done = false
    const finish = (err) => {
      if (done) return
      done = true
      geolocation.clearWatch(watch)
      clearTimeout(timer)
      if (best) resolve(best)
      else reject(err || { code: 'timeout', message: 'timeout' })
    }
    const watch = geolocation.watchPosition((pos) => {
      const c = pos.coords
      const fix = { lat: c.latitude, lon: c.longitude, altitude: c.altitude === null ? 0 : c.altitude, accuracy: c.accuracy }
      if (!best || fix.accuracy <= best.accuracy) best = fix
      onProgress(best)
      if (best.accuracy <= goodAccuracy) finish()
    }, (e) => {
      if (e.code === 1) finish({ code: 'denied', message: e.message })
      else if (!best && e.code === 2) finish({ code: 'unavailable', message: e.message })
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: timeoutMs })
    const timer = setTimeout(() => finish(), timeoutMs)
  })
}

const round = (x, n) => Number(x.toFixed(n))

/** ODK geopoint text 'lat lon altitude accuracy'. */
export const toGeopoint = (f) => `${round(f.lat, 7)} ${round(f.lon, 7)} ${round(f.altitude || 0, 1)} ${round(f.accuracy, 1)}`

/** {lat, lon, altitude, accuracy} from geopoint text, or null. */
export function parseGeopoint (text) {
  const p = String(text || '').trim().split(/\s+/).map(Number)
  if (p.length < 2 || p.some((x) => Number.isNaN(x))) return null
  return { lat: p[0], lon: p[1], altitude: p.length > 2 ? p[2] : null, accuracy: p.length > 3 ? p[3] : null }
}
