// Geometry for area(), distance() and geofence() (port of geo.py): a sphere of radius
// 6,378,100 m, as JavaRosa, so numbers match what ODK Collect shows.
import { pyFloat } from './numbers.js'

export const EARTH_RADIUS_M = 6378100.0

export class GeoError extends Error {}

const rad = (d) => d * Math.PI / 180

/** 'lat lon [alt [accuracy]]' -> [lat, lon] in degrees. */
export function parsePoint (text) {
  const parts = text.split(/\s+/).filter(Boolean)
  if (parts.length < 2 || parts.length > 4) throw new GeoError(`invalid geopoint '${text}'`)
  const nums = parts.map(pyFloat)
  if (nums.some((x) => x === null)) throw new GeoError(`invalid geopoint '${text}'`)
  const [lat, lon] = nums
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) throw new GeoError(`geopoint out of range '${text}'`)
  return [lat, lon]
}

/** Points from geopoint values and/or ';'-separated geotrace/geoshape values. */
export function parsePoints (values) {
  const points = []
  for (const value of values) {
    for (const chunk of value.split(';')) if (chunk.trim()) points.push(parsePoint(chunk))
  }
  return points
}

/** Great-circle distance in metres between two [lat, lon] points. */
export function haversine (a, b) {
  const lat1 = rad(a[0]); const lon1 = rad(a[1]); const lat2 = rad(b[0]); const lon2 = rad(b[1])
  const h = Math.sin((lat2 - lat1) / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin((lon2 - lon1) / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1.0, Math.sqrt(h)))
}

export function pathLength (points) {
  let total = 0
  for (let i = 0; i < points.length - 1; i++) total += haversine(points[i], points[i + 1])
  return total
}

const same = (p, q) => p[0] === q[0] && p[1] === q[1]

/** Area in square metres of the spherical polygon (closing point optional). */
export function polygonArea (points) {
  if (points.length > 1 && same(points[0], points[points.length - 1])) points = points.slice(0, -1)
  if (points.length < 3) return 0
  let total = 0
  const n = points.length
  for (let i = 0; i < n; i++) {
    const [lat1, lon1] = points[i]
    const [lat2, lon2] = points[(i + 1) % n]
    total += rad(lon2 - lon1) * (2 + Math.sin(rad(lat1)) + Math.sin(rad(lat2)))
  }
  return Math.abs(total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0)
}

/** Ray-casting test in the lon/lat plane; the shape's closing point is optional. */
export function pointInPolygon (point, shape) {
  if (shape.length > 1 && same(shape[0], shape[shape.length - 1])) shape = shape.slice(0, -1)
  if (shape.length < 3) return false
  const [y, x] = point
  let inside = false
  for (let i = 0, j = shape.length - 1; i < shape.length; j = i++) {
    const [yi, xi] = shape[i]
    const [yj, xj] = shape[j]
    if ((yi > y) !== (yj > y)) {
      const xCross = (xj - xi) * (y - yi) / (yj - yi) + xi
      if (x < xCross) inside = !inside
    }
  }
  return inside
}
