// Small pieces every console page uses: loading state, errors in words, the stale-decision
// message, a labelled select, and the dataset chooser of the registry queues.
import { html, useEffect, useState } from '../../../app/ui.js'
import { initialLanguage, pick } from '../../../app/i18n.js'
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
  const list = state.data || []
  useEffect(() => { // a city without a persons dataset starts on its first one
    if (list.length && !list.some((d) => d.name === dataset)) choose(list[0].name)
  }, [list.length])
  return { datasets: list, dataset, choose, state }
}

export function DatasetChooser ({ datasets, dataset, choose }) {
  if (datasets.length < 2) return null
  return html`<${Select} label=${C.dataset} value=${dataset} onChange=${choose}
    options=${datasets.map((d) => [d.name, d.label_zh || d.name])} />`
}

/** A property's declaration in a dataset, or null. */
export function propOf (datasets, dataset, name) {
  const ds = datasets.find((d) => d.name === dataset)
  return (ds && (ds.properties || []).find((p) => p.name === name)) || null
}

/** A property's Chinese label from a dataset declaration. */
export function propLabel (datasets, dataset, name) {
  const prop = propOf(datasets, dataset, name)
  return (prop && (prop.label_zh || prop.label_en)) || name
}

/** Choice labels of every published form, by list name: registry selects store the forms' codes. */
async function loadChoices (app) {
  const forms = await app.api.forms().catch(() => [])
  const defs = await Promise.all(forms.map((f) => app.api.form(f.form_id).then((x) => x.definition || x).catch(() => null)))
  const out = {}
  for (const def of defs.filter(Boolean)) {
    const lang = initialLanguage(def)
    for (const [list, rows] of Object.entries(def.choices || {})) {
      if (!out[list]) out[list] = Object.fromEntries(rows.map((r) => [r.name, pick(r.label, lang, def.default_language)]))
    }
  }
  app.choices = out
  return out
}

/** {labels, ready}: pages that show registry values wait for ready, so codes never flash. */
export function useChoices (app) {
  const state = useLoad(() => (app.choices ? Promise.resolve(app.choices) : loadChoices(app)))
  return { labels: state.data || {}, ready: !state.loading }
}

/** A unit's name by its code (cached; the code itself while loading or outside scope). */
const unitNames = new Map()
export function UnitName ({ app, code }) {
  const [name, setName] = useState(unitNames.get(code) || null)
  useEffect(() => {
    if (!code || unitNames.has(code)) return
    app.api.unit(code).then((u) => { unitNames.set(code, u.name); setName(u.name) }).catch(() => {})
  }, [code])
  return code ? html`<span title=${code}>${name || code}</span>` : '—'
}

/** A property value as text: codes of a select as their labels, lists joined, points shortened. */
export function propText (value, prop = null, choices = {}) {
  if (value === null || value === undefined || value === '') return '—'
  const list = prop && (prop.list || { ethnicity_code: 'ethnicity', division_code: 'county' }[prop.type])
  const labels = list && choices[list]
  if (labels && typeof value === 'string' && !value.includes('*')) {
    return (prop.multiple ? value.split(/\s+/) : [value]).map((v) => labels[v] || v).join('、')
  }
  if (labels && Array.isArray(value)) return value.map((v) => labels[v] || v).join('、')
  if (prop && prop.type === 'geopoint' && typeof value === 'string') {
    const [lat, lon] = value.split(/\s+/).map(Number)
    if (isFinite(lat) && isFinite(lon)) return `${lat.toFixed(5)}, ${lon.toFixed(5)}`
  }
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

/**
 * A registry queue page (duplicates, conflicts, held moves): the dataset chooser, one page of
 * items from ``load(dataset, {cursor, limit})`` and the pager. ``render(item, {datasets, dataset,
 * reload})`` draws one item; ``ready`` holds the page back until what items need has loaded.
 */
export function RegistryQueue ({ app, title, load, limit, ready = true, render }) {
  const { datasets, dataset, choose } = useDatasets(app)
  const [cursor, setCursor] = useState(null)
  const page = useLoad(() => load(dataset, { cursor, limit }), [dataset, cursor])
  const items = (page.data && page.data.items) || []
  return html`<section><div class="page-head"><h1>${title}</h1>
    <${DatasetChooser} datasets=${datasets} dataset=${dataset} choose=${(d) => { setCursor(null); choose(d) }} /></div>
    <${Loading} state=${ready ? page : { loading: true }}>
      ${items.length === 0 ? html`<p class="muted">${C.noItems}</p>` : null}
      ${items.map((item) => render(item, { datasets, dataset, reload: page.reload }))}
      <div class="pager">
        ${cursor ? html`<button type="button" class="btn secondary" onClick=${() => setCursor(null)}>${C.first}</button>` : null}
        ${page.data && page.data.next_cursor ? html`<button type="button" class="btn" onClick=${() => setCursor(page.data.next_cursor)}>${C.next}</button>` : null}
      </div>
    <//>
  </section>`
}
