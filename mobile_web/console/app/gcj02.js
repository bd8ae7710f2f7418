// WGS-84 -> GCJ-02, for display only: positions are stored in WGS-84, and a city whose base-map
// tiles are drawn in GCJ-02 (GRIDREG_TILE_CRS=gcj02) shifts what the map draws, never the data.
// The published GCJ-02 obfuscation formula (Krasovsky 1940 ellipsoid); outside mainland China's
// bounding box nothing moves.

const A = 6378245.0
const EE = 0.00669342162296594323
const PI = Math.PI

export const outOfChina = (lon, lat) => lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271

function dLat (x, y) {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0
  r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0
  r += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0
  return r
}

function dLon (x, y) {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0
  r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0
  r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0
  return r
}

/** [lon, lat] in WGS-84 -> [lon, lat] in GCJ-02. */
export function wgs84ToGcj02 (lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat]
  let la = dLat(lon - 105.0, lat - 35.0)
  let lo = dLon(lon - 105.0, lat - 35.0)
  const rad = lat / 180.0 * PI
  let magic = Math.sin(rad)
  magic = 1 - EE * magic * magic
  const sqrtMagic = Math.sqrt(magic)
  la = (la * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI)
  lo = (lo * 180.0) / (A / sqrtMagic * Math.cos(rad) * PI)
  return [lon + lo, lat + la]
}

/** The display transform for a tile datum: identity for WGS-84 tiles (or none). */
export const displayShift = (crs) => (crs === 'gcj02' ? wgs84ToGcj02 : (lon, lat) => [lon, lat])
