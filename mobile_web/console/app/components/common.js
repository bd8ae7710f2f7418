// Small pieces every console page uses: loading state, errors in words, the stale-decision
// message, a labelled select, and the dataset chooser of the registry queues.
import { html, useEffect, useState } from '../../../app/ui.js'
import { C } from '../strings.js'

/** A message for an API error; 412 (someone decided first) gets the stale message. */
export function errorText (e) {
  if (!e) return ''
  if (e.status === 412) return C.stale
  if (e.status === 0) return '无法连接服务器，请检查网络后重试'
  return e.message || String(e)
}

/** Run load() on mount and whenever deps change: {data, error, loading, reload}. */
export function useLoad (load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true, error: null }))
    load().then((data) => live && setState({ data, error: null, loading: false }))
      .catch((error) => live && setState({ data: null, error, loading: false }))
    return () => { live = false }
  }, [...deps, tick])
  return { ...state, reload: () => setTick((t) => t + 1) }
}

export function Loading ({ state, children }) {
  if (state.error) return html`<p class="warn" role="alert">${errorText(state.error)}</p>`
  if (state.loading && !state.data) return html`<p class="muted" role="status">${C.loading}</p>`
  return children
}

/** A decision's outcome line: the stale message comes with a reload button. */
export function Outcome ({ error, done, onReload }) {
  return html`<div class="outcome" role="alert" aria-live="assertive">
    ${error ? html`<span class="warn">${errorText(error)}</span>
      ${error.status === 412 && onReload ? html` <button type="button" class="btn small" onClick=${onReload}>${C.reload}</button>` : null}` : null}
    ${!error && done ? html`<span class="ok">${done}</span>` : null}
  </div>`
}

let seq = 0
/** A <select> with its visible label. */
export function Select ({ label, value, options, onChange, id }) {
  const [own] = useState(() => id || `sel-${++seq}`)
  return html`<div class="field"><label for=${own}>${label}</label>
    <select id=${own} value=${value} onChange=${(e) => onChange(e.target.value)}>
      ${options.map(([v, text]) => html`<option value=${v} selected=${v === value}>${text}</option>`)}
    </select></div>`
}

/** The datasets a registry queue may show, with the chosen one kept across pages. */
let chosenDataset = 'persons'
export function useDatasets (app) {
  const state = useLoad(() => app.datasets ? Promise.resolve(app.datasets) : app.api.datasets().then((d) => { app.datasets = d; return d }))
  const [dataset, setDataset] = useState(chosenDataset)
  const choose = (d) => { chosenDataset = d; setDataset(d) }
  return { datasets: state.data || [], dataset, choose, state }
}

export function DatasetChooser ({ datasets, dataset, choose }) {
  if (datasets.length < 2) return null
  return html`<${Select} label=${C.dataset} value=${dataset} onChange=${choose}
    options=${datasets.map((d) => [d.name, d.label_zh || d.name])} />`
}

/** A property's Chinese label from a dataset declaration. */
export function propLabel (datasets, dataset, name) {
  const ds = datasets.find((d) => d.name === dataset)
  const prop = ds && (ds.properties || []).find((p) => p.name === name)
  if (!prop) return name
  const l = prop.label
  return (l && typeof l === 'object' ? (l.zh || l.en) : l) || prop.label_zh || name
}

/** A property value as text (lists joined, objects such as points shortened). */
export function propText (value) {
  if (value === null || value === undefined || value === '') return '—'
  if (Array.isArray(value)) return value.join('、')
  if (typeof value === 'object') {
    if ('lat' in value && 'lon' in value) return `${Number(value.lat).toFixed(5)}, ${Number(value.lon).toFixed(5)}`
    if (value.type === 'Point' && value.coordinates) return `${value.coordinates[1].toFixed(5)}, ${value.coordinates[0].toFixed(5)}`
    return JSON.stringify(value)
  }
  return String(value)
}

export const personLink = (dataset, uuid) => `#/person/${encodeURIComponent(dataset)}/${encodeURIComponent(uuid)}`
export const submissionLink = (id) => `#/submission/${encodeURIComponent(id)}`
