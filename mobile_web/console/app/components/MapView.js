// Maps, only on the pages that show one: Leaflet (vendored) is imported when the first map
// mounts. Vector layers only by default; base tiles when GRIDREG_TILE_URL is set and the
// supervisor switches them on. Positions are WGS-84; GCJ-02 tiles shift what is drawn (gcj02.js).
import { html, useEffect, useRef, useState } from '../../../app/ui.js'
import { displayShift } from '../gcj02.js'
import { C } from '../strings.js'

let leaflet = null
/** Leaflet and its stylesheet, loaded once. */
export function loadLeaflet () {
  if (!leaflet) {
    const css = document.createElement('link')
    css.rel = 'stylesheet'
    css.href = '/m/vendor/leaflet/leaflet.css'
    document.head.appendChild(css)
    leaflet = import('../../../vendor/leaflet/leaflet-src.esm.js')
  }
  return leaflet
}

export const STYLES = {
  grid: { color: '#1f5fa8', weight: 3, fillOpacity: 0.12 },
  neighbour: { color: '#6e7781', weight: 1, dashArray: '4 4', fillOpacity: 0.03 },
  from: { color: '#8a4b00', weight: 3, fillOpacity: 0.1 },
  to: { color: '#1e6b34', weight: 3, fillOpacity: 0.12 }
}

/**
 * A map of layers: [{kind: 'area', geometry (GeoJSON), style, name}] and
 * [{kind: 'point', lon, lat, accuracy, name}]; a legend says in words what is drawn.
 */
export function MapBox ({ app, layers, label, legend }) {
  const box = useRef(null)
  const [tiles, setTiles] = useState(false)
  const [error, setError] = useState('')
  const config = app.config || {}
  useEffect(() => {
    if (!layers || !box.current) return
    let map = null
    let live = true
    loadLeaflet().then((L) => {
      if (!live) return
      const shift = displayShift(config.tile_crs)
      const ll = (lon, lat) => { const [x, y] = shift(lon, lat); return L.latLng(y, x) }
      map = L.map(box.current, { zoomControl: true, attributionControl: !!(tiles && config.tile_attribution), zoomSnap: 0.5 })
      map.zoomControl.getContainer().querySelectorAll('a').forEach((a) => {
        a.setAttribute('aria-label', a.classList.contains('leaflet-control-zoom-in') ? '放大地图' : '缩小地图')
        a.title = a.getAttribute('aria-label')
      })
      if (tiles && config.tile_url) {
        L.tileLayer(config.tile_url, { attribution: config.tile_attribution || '', maxZoom: 19 }).addTo(map)
        if (map.attributionControl) map.attributionControl.setPrefix(false)
      }
      // bounds first: a circle has none until it is on a map with a view
      const bounds = L.latLngBounds([])
      const drawn = []
      for (const layer of layers) {
        if (layer.kind === 'area' && layer.geometry) {
          const g = L.geoJSON(layer.geometry, { style: layer.style, coordsToLatLng: (c) => ll(c[0], c[1]), interactive: false })
          bounds.extend(g.getBounds())
          drawn.push(g)
        } else if (layer.kind === 'point') {
          const at = ll(layer.lon, layer.lat)
          bounds.extend(at.toBounds(Math.max(2 * (layer.accuracy || 0), 60)))
          if (layer.accuracy) drawn.push(L.circle(at, { radius: layer.accuracy, color: '#b3261e', weight: 1, fillOpacity: 0.15, interactive: false }))
          drawn.push(L.circleMarker(at, { radius: 6, color: '#fff', weight: 2, fillColor: '#b3261e', fillOpacity: 1, interactive: false }))
        }
      }
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 })
      else map.setView([34.4, 113.74], 12)
      for (const layer of drawn) layer.addTo(map)
    }).catch((e) => setError(e.message))
    return () => { live = false; if (map) map.remove() }
  }, [layers, tiles])
  return html`<div class="map-wrap">
    <div class="map" ref=${box} role="region" aria-label=${label || C.map}></div>
    <ul class="legend">
      ${(legend || (layers || []).filter((l) => l.name)).map((l) => html`<li><span class=${'swatch ' + (l.key || l.kind)}></span>${l.name}</li>`)}
    </ul>
    ${config.tile_url ? html`<label class="check"><input type="checkbox" checked=${tiles} onChange=${(e) => setTiles(e.target.checked)} /> ${C.baseMap}</label>` : null}
    ${error ? html`<p class="warn">${error}</p>` : null}
  </div>`
}

/** A unit's boundary and its name, or null when it is outside the caller's scope. */
const unitOf = (app, code) => (code ? app.api.unit(code).catch(() => null) : Promise.resolve(null))

/** The submission's grid, the grids touching it, and the point with its accuracy. */
export function SubmissionMap ({ app, sub }) {
  const [layers, setLayers] = useState(null)
  useEffect(() => {
    let live = true
    ;(async () => {
      const [grid, neighbours] = await Promise.all([unitOf(app, sub.grid),
        sub.grid ? app.api.neighbours(sub.grid).catch(() => []) : []])
      const out = []
      if (grid) out.push({ kind: 'area', key: 'grid', geometry: grid.boundary, style: STYLES.grid, name: `本网格：${grid.name}` })
      if (neighbours.length) {
        for (const n of neighbours) out.push({ kind: 'area', key: 'neighbour', geometry: n.boundary, style: STYLES.neighbour, name: null })
      }
      const loc = sub.location
      if (loc) out.push({ kind: 'point', lon: loc.lon, lat: loc.lat, accuracy: loc.accuracy, name: `提交位置${loc.accuracy ? '（' + C.accuracy(Math.round(loc.accuracy)) + '）' : ''}` })
      if (live) setLayers(out)
    })()
    return () => { live = false }
  }, [sub.instance_id])
  if (!sub.location && !sub.grid) return html`<p class="muted">${C.noLocation}</p>`
  if (!layers) return html`<p class="muted">${C.loading}</p>`
  const shown = layers.filter((l) => l.name)
  const count = layers.filter((l) => l.key === 'neighbour').length
  if (count) shown.push({ kind: 'area', key: 'neighbour', name: `相邻网格（${count} 个）` })
  return html`<${MapBox} app=${app} layers=${layers} legend=${shown} label=${C.map} />
    ${!sub.location ? html`<p class="muted">${C.noLocation}</p>` : null}`
}

/** A held move: where the record is, where the submission saw it, and the point. */
export function MoveMap ({ app, move }) {
  const [layers, setLayers] = useState(null)
  useEffect(() => {
    let live = true
    Promise.all([unitOf(app, move.from_grid), unitOf(app, move.to_grid)]).then(([from, to]) => {
      const out = []
      if (from) out.push({ kind: 'area', key: 'from', geometry: from.boundary, style: STYLES.from, name: `${C.fromGrid}：${from.name}` })
      if (to) out.push({ kind: 'area', key: 'to', geometry: to.boundary, style: STYLES.to, name: `${C.toGrid}：${to.name}` })
      if (move.point) out.push({ kind: 'point', lon: move.point.lon, lat: move.point.lat, name: C.movedPoint })
      if (live) setLayers(out)
    })
    return () => { live = false }
  }, [move.id])
  if (!layers) return html`<p class="muted">${C.loading}</p>`
  return html`<${MapBox} app=${app} layers=${layers} label=${`${C.fromGrid}与${C.toGrid}`} />`
}
