// GPS capture: waits for a fix up to the form's capture-accuracy, shows the accuracy, warns
// above warning-accuracy, and can be retried; the answer is 'lat lon altitude accuracy'.
import { html, useState, useEffect, useRef } from '../ui.js'
import { T } from '../i18n.js'
import { locate, parseGeopoint, toGeopoint } from '../geo.js'
import { idFor } from './FieldFrame.js'

export function GeopointField ({ field, path, value, readOnly, onChange }) {
  const params = field.parameters || {}
  const good = Number(params['capture-accuracy']) || 5
  const warn = Number(params['warning-accuracy']) || 20
  const [busy, setBusy] = useState(false)
  const [live, setLive] = useState(null)
  const [problem, setProblem] = useState('')
  const alive = useRef(true)
  useEffect(() => () => { alive.current = false }, [])
  const point = parseGeopoint(value)
  const start = async () => {
    setBusy(true)
    setProblem('')
    setLive(null)
    try {
      const fix = await locate({ goodAccuracy: good, onProgress: (f) => alive.current && setLive(f) })
      if (alive.current) onChange(toGeopoint(fix))
    } catch (e) {
      const msg = e.code === 'denied' ? T.geoDenied : e.code === 'unavailable' && !navigator.geolocation ? T.geoUnavailable : T.geoFailed + (e.message || e.code)
      if (alive.current) setProblem(msg)
    } finally {
      if (alive.current) setBusy(false)
    }
  }
  const shown = busy ? live : point
  const acc = shown && shown.accuracy !== null ? Math.round(shown.accuracy) : null
  return html`<div class="geo" id=${idFor(path)} tabindex="-1">
    ${shown ? html`<div class="geo-value">${shown.lat.toFixed(6)}, ${shown.lon.toFixed(6)}</div>` : null}
    <div aria-live="polite" class="geo-status">
      ${busy ? html`<span>${T.geoWaiting} </span>` : null}
      ${acc !== null ? html`<span>${T.geoAccuracy(acc)}</span>` : null}
      ${!busy && acc !== null && acc > warn ? html`<div class="warn">${T.geoWeak(acc)}</div>` : null}
      ${problem ? html`<div class="warn">${problem}</div>` : null}
    </div>
    ${readOnly ? null : html`<button type="button" class="btn" disabled=${busy} onClick=${start}
      aria-describedby=${idFor(path) + '-label'}>${point || problem ? T.geoRetry : T.geoGet}</button>`}
  </div>`
}
