// The review queue: submissions in the supervisor's scope, newest first, filtered by form,
// review state, validation status, flag, grid, worker and date, with counts per review state
// and keyset paging (下一页 follows next_cursor; 回到第一页 starts again).
import { html, useState } from '../../../app/ui.js'
import { C, FLAG_LABEL, REVIEW_LABEL, REVIEW_STATES, STATUS_LABEL, when } from '../strings.js'
import { Loading, Select, submissionLink, useLoad } from './common.js'

const EMPTY = { form: '', review_state: '', status: '', flag: '', grid: '', submitter: '', since: '', until: '' }
export const PAGE = 20
let kept = { filters: { ...EMPTY }, cursors: [] } // filters survive a visit to a submission

/** Grids (and other units) of the caller's tree, flattened with their depth for the grid filter. */
export function flatUnits (nodes, depth = 0, out = [], parent = '') {
  for (const n of nodes || []) {
    const short = parent && n.name.startsWith(parent) && n.name.length > parent.length ? n.name.slice(parent.length) : n.name
    out.push([n.code, `${'　'.repeat(depth)}${short}`])
    flatUnits(n.children, depth + 1, out, n.name)
  }
  return out
}

function Filters ({ forms, app, filters, setFilters, apply, clear }) {
  const units = useLoad(() => app.api.units().catch(() => []))
  const set = (k) => (v) => setFilters({ ...filters, [k]: v })
  const opts = (labels) => [['', C.any], ...Object.entries(labels)]
  return html`<form class="filters" aria-label=${C.filters} onSubmit=${(e) => { e.preventDefault(); apply() }}>
    <${Select} id="f-form" label=${C.form} value=${filters.form} onChange=${set('form')}
      options=${[['', C.any], ...(forms.data || []).map((f) => [f.form_id, f.title || f.form_id])]} />
    <${Select} id="f-review" label=${C.reviewState} value=${filters.review_state} onChange=${set('review_state')} options=${opts(REVIEW_LABEL)} />
    <${Select} id="f-status" label=${C.status} value=${filters.status} onChange=${set('status')} options=${opts(STATUS_LABEL)} />
    <${Select} id="f-flag" label=${C.flag} value=${filters.flag} onChange=${set('flag')} options=${opts(FLAG_LABEL)} />
    <${Select} id="f-grid" label=${C.grid} value=${filters.grid} onChange=${set('grid')}
      options=${[['', C.any], ...flatUnits(units.data)]} />
    <div class="field"><label for="f-submitter">${C.submitter}</label>
      <input id="f-submitter" value=${filters.submitter} autocomplete="off" onInput=${(e) => set('submitter')(e.target.value)} /></div>
    <div class="field"><label for="f-since">${C.since}</label>
      <input id="f-since" type="date" value=${filters.since} onInput=${(e) => set('since')(e.target.value)} /></div>
    <div class="field"><label for="f-until">${C.until}</label>
      <input id="f-until" type="date" value=${filters.until} onInput=${(e) => set('until')(e.target.value)} /></div>
    <div class="field buttons">
      <button type="submit" class="btn primary">${C.apply}</button>
      <button type="button" class="btn secondary" onClick=${clear}>${C.clear}</button>
    </div>
  </form>`
}

function Counts ({ counts, limit, current, pick }) {
  if (!counts) return null
  const shown = (n) => (limit && n >= limit ? `${limit}+` : (n ?? 0)) // counts stop at the server's limit
  return html`<ul class="counts" aria-label=${C.counts}>
    ${REVIEW_STATES.map((s) => html`<li><button type="button" class=${'count ' + s + (current === s ? ' on' : '')}
      aria-pressed=${current === s ? 'true' : 'false'} onClick=${() => pick(current === s ? '' : s)}>
      <span class="count-label">${REVIEW_LABEL[s]}</span> <strong>${shown(counts[s])}</strong></button></li>`)}
  </ul>`
}

export function QueuePage ({ app }) {
  const [filters, setFilters] = useState(kept.filters)
  const [applied, setApplied] = useState(kept.filters)
  const [cursors, setCursors] = useState(kept.cursors) // cursors of the pages before this one
  const cursor = cursors.length ? cursors[cursors.length - 1] : null
  kept = { filters: applied, cursors }
  const forms = useLoad(() => app.api.forms().catch(() => []))
  const titles = Object.fromEntries((forms.data || []).map((f) => [f.form_id, f.title]))
  const page = useLoad(() => app.api.queue({ ...applied, cursor, limit: PAGE }), [JSON.stringify(applied), cursor])
  const apply = (f = filters) => { setApplied({ ...f }); setCursors([]) }
  const data = page.data
  return html`<section class="queue">
    <h1>${C.queue}</h1>
    <${Filters} forms=${forms} app=${app} filters=${filters} setFilters=${setFilters} apply=${() => apply()}
      clear=${() => { setFilters({ ...EMPTY }); apply({ ...EMPTY }) }} />
    <${Counts} counts=${data && data.counts} limit=${data && data.counts_limit} current=${applied.review_state}
      pick=${(s) => { const f = { ...filters, review_state: s }; setFilters(f); apply(f) }} />
    <${Loading} state=${page}>
      ${data && data.items.length === 0 ? html`<p class="muted">${C.noItems}</p>` : null}
      ${data && data.items.length ? html`<table class="grid-table">
        <caption class="visually-hidden">${C.queue}</caption>
        <thead><tr><th scope="col">${C.received}</th><th scope="col">${C.form}</th><th scope="col">${C.submitter.replace('（用户名）', '')}</th>
          <th scope="col">${C.grid}</th><th scope="col">${C.status}</th><th scope="col">${C.reviewState}</th><th scope="col">${C.flag}</th><th scope="col"><span class="visually-hidden">${C.open}</span></th></tr></thead>
        <tbody>${data.items.map((s) => html`<tr key=${s.instance_id} data-id=${s.instance_id}>
          <td>${when(s.received_at)}${s.deprecated_id ? html` <span class="badge edit">修改版</span>` : null}</td>
          <td>${s.form_title || titles[s.form_id] || s.form_id}</td>
          <td>${s.submitter_name || s.submitter}</td>
          <td>${s.grid_name || s.grid || '—'}</td>
          <td><span class=${'badge st-' + s.status}>${STATUS_LABEL[s.status] || s.status}</span></td>
          <td><span class=${'badge rv-' + s.review_state}>${REVIEW_LABEL[s.review_state] || s.review_state || ''}</span></td>
          <td>${Object.keys(s.flags || {}).map((f) => html`<span class="badge flag">${FLAG_LABEL[f] || f}</span> `)}</td>
          <td><a class="btn small" href=${submissionLink(s.instance_id)}
            aria-label=${`${C.open} ${s.submitter_name || s.submitter} ${when(s.received_at)}`}>${C.open}</a></td>
        </tr>`)}</tbody></table>` : null}
      <div class="pager">
        ${cursors.length ? html`<button type="button" class="btn secondary" onClick=${() => setCursors([])}>${C.first}</button>` : null}
        ${data && data.next_cursor ? html`<button type="button" class="btn" onClick=${() => setCursors([...cursors, data.next_cursor])}>${C.next}</button>` : null}
      </div>
    <//>
  </section>`
}
