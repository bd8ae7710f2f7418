// 审计日志: who did what to which object and when, newest first, a page at a time (keyset
// cursor). Filters by actor, action, target and dates (city time), and the one switch that
// keeps only reads that showed sensitive values in full (ID numbers, phones, ethnicity).
import { html, useState } from '../../../app/ui.js'
import { A, ACTION_LABEL, PROPERTY_WORDS } from '../admin_strings.js'
import { C, when } from '../strings.js'
import { Loading, Select, personLink, useLoad } from './common.js'
import { auditQuery } from '../audit_query.js'

const EMPTY = { actor: '', action: '', target: '', since: '', until: '', full_reads: false }
const FULL_READS = new Set(['registry.reveal', 'registry.export', 'registry.sync'])

function Detail ({ event }) {
  const d = event.detail || {}
  if (FULL_READS.has(event.action) || (event.action === 'submission.read' && d.unmasked)) {
    const props = d.properties || d.unmasked || []
    return html`<span class="badge st-rejected">${A.sensitive}</span>
      ${A.properties}：${props.map((p) => PROPERTY_WORDS[p] || p).join('、')}${d.count > 1 ? `（${A.records(d.count)}）` : ''}`
  }
  const entries = Object.entries(d)
  if (!entries.length) return '—'
  return html`<code class="detail">${entries.map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('；')}</code>`
}

function Target ({ event }) {
  if (!event.target_id) return event.target_type || '—'
  const ds = (event.target_type || '').startsWith('registry.') ? event.target_type.slice(9) : null
  return html`<span class="muted">${event.target_type}</span><br />
    ${ds ? html`<a href=${personLink(ds, event.target_id)}><code>${event.target_id}</code></a>` : html`<code>${event.target_id}</code>`}`
}

export function AuditPage ({ app }) {
  const [draft, setDraft] = useState({ ...EMPTY })
  const [filters, setFilters] = useState({ ...EMPTY })
  const [cursor, setCursor] = useState(null)
  const page = useLoad(() => app.api.audit(auditQuery(filters, cursor)), [JSON.stringify(filters), cursor])
  const set = (k) => (v) => setDraft((d) => ({ ...d, [k]: v }))
  const apply = (f) => { setCursor(null); setFilters(f) }
  const items = (page.data && page.data.items) || []
  const input = (id, key, label, type = 'text', hint = null) => html`<div class="field"><label for=${id}>${label}</label>
    <input id=${id} type=${type} value=${draft[key]} onInput=${(e) => set(key)(e.target.value)}
      aria-describedby=${hint ? id + '-hint' : undefined} />${hint ? html`<p class="hint" id=${id + '-hint'}>${hint}</p>` : null}</div>`
  return html`<section class="admin">
    <div class="page-head"><h1>${A.audit}</h1></div>
    <p class="meta">${A.auditIntro}</p>
    <form class="filters audit-filters" aria-label=${C.filters} onSubmit=${(e) => { e.preventDefault(); apply(draft) }}>
      ${input('audit-actor', 'actor', A.actor)}
      <${Select} id="audit-action" label=${A.action} value=${draft.action} onChange=${set('action')}
        options=${[['', A.anyAction], ...Object.entries(ACTION_LABEL).map(([k, v]) => [k, `${v}（${k}）`]),
          ['registry.*', `${A.registryAll}（registry.*）`]]} />
      ${input('audit-target', 'target', A.target)}
      ${input('audit-since', 'since', A.since, 'date')}
      ${input('audit-until', 'until', A.until, 'date')}
      <label class="check"><input type="checkbox" checked=${draft.full_reads} onChange=${(e) => set('full_reads')(e.target.checked)} /> ${A.fullReads}</label>
      <div class="buttons"><button type="submit" class="btn primary">${C.apply}</button>
        <button type="button" class="btn secondary" onClick=${() => { setDraft({ ...EMPTY }); apply({ ...EMPTY }) }}>${C.clear}</button></div>
    </form>
    <${Loading} state=${page}>
      ${items.length ? html`<table class="grid-table audit-table">
        <caption class="visually-hidden">${A.audit}</caption>
        <thead><tr><th scope="col">${A.at}</th><th scope="col">${A.actor}</th><th scope="col">${A.action}</th>
          <th scope="col">${A.target}</th><th scope="col">${A.detail}</th></tr></thead>
        <tbody>${items.map((e) => html`<tr key=${e.id} data-event=${e.id} data-action=${e.action}>
          <td>${when(e.at)}</td><td>${e.actor ? html`<code>${e.actor}</code>` : html`<span class="muted">${A.system}</span>`}</td>
          <td>${ACTION_LABEL[e.action] || e.action}<div class="muted small-id">${e.action}</div></td>
          <td><${Target} event=${e} /></td><td><${Detail} event=${e} /></td></tr>`)}</tbody>
      </table>` : html`<p class="muted">${A.noEvents}</p>`}
      <div class="pager">
        ${cursor ? html`<button type="button" class="btn secondary" onClick=${() => setCursor(null)}>${C.first}</button>` : null}
        ${page.data && page.data.next_cursor ? html`<button type="button" class="btn" onClick=${() => setCursor(page.data.next_cursor)}>${C.next}</button>` : null}
      </div>
    <//>
  </section>`
}
