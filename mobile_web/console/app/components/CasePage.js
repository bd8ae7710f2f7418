// One case: what it is, its person (as the reader's duty lets them see the record, masked as the
// API masks it), its action records, and working it: a status change, an assignee, a note, each
// sent with the case's ETag so a change someone made first is reported, never overwritten.
import { html, useState } from '../../../app/ui.js'
import { when } from '../strings.js'
import { ACTION_LABEL, CASE_STATUS, K, TRANSITIONS } from '../case_strings.js'
import { Loading, Outcome, UnitName, personLink, propLabel, propOf, propText, useChoices, useDatasets, useLoad } from './common.js'
import { useCodes } from './CasesPage.js'

function Person ({ app, uuid, canOpen }) {
  const { datasets } = useDatasets(app)
  const { labels, ready } = useChoices(app)
  const state = useLoad(() => app.api.entity('persons', uuid).then((r) => r.body), [uuid])
  const d = state.data
  const ds = datasets.find((x) => x.name === 'persons')
  const order = ds ? ds.properties.map((p) => p.name) : []
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length)
  const props = d ? Object.entries(d.properties || {}).filter(([, v]) => propText(v) !== '—').sort((a, b) => rank(a[0]) - rank(b[0])) : []
  return html`<section class="panel" aria-labelledby="case-person-h"><h2 id="case-person-h">${K.person}</h2>
    <${Loading} state=${d && !ready ? { loading: true } : state}>
      ${d ? html`<p><strong>${canOpen ? html`<a href=${personLink('persons', uuid)}>${d.label}</a>` : d.label}</strong></p>
        <p class="hint">${K.personMasked}</p>
        <table class="grid-table kv"><tbody>${props.map(([k, v]) => html`<tr><th scope="row">${propLabel(datasets, 'persons', k)}</th>
          <td>${propText(v, propOf(datasets, 'persons', k), labels)}</td></tr>`)}</tbody></table>` : null}
    <//></section>`
}

function Work ({ app, c, etag, onChanged, onReload }) {
  const [assignee, setAssignee] = useState(c.assignee || '')
  const [note, setNote] = useState('')
  const [error, setError] = useState(null)
  const [done, setDone] = useState('')
  const [busy, setBusy] = useState(false)
  const send = async (change, msg) => {
    setBusy(true)
    setError(null)
    setDone('')
    try {
      const res = await app.api.updateCase(c.uuid, etag, change)
      setDone(msg)
      app.toast(msg)
      onChanged(res)
      return true
    } catch (e) { setError(e); return false } finally { setBusy(false) }
  }
  const addNote = async (e) => {
    e.preventDefault()
    if (!note.trim()) { setError({ message: K.noteNeeded }); return }
    if (await send({ note: note.trim() }, K.saved)) setNote('')
  }
  return html`<section class="panel work" aria-labelledby="case-work-h"><h2 id="case-work-h">${K.work}</h2>
    <div class="field"><span class="label" id="case-moves">${K.changeStatus}</span>
      <div class="actions" role="group" aria-labelledby="case-moves">
        ${(TRANSITIONS[c.status] || []).map(([to, label], i) => html`<button type="button" class=${'btn' + (i === 0 ? ' primary' : ' secondary')}
          disabled=${busy} onClick=${() => send({ status: to }, `${label}：${CASE_STATUS[to]}`)}>${label}</button>`)}
      </div></div>
    <form class="inline-form" onSubmit=${(e) => { e.preventDefault(); send({ assignee: assignee.trim() || null }, K.saved) }}>
      <div class="field"><label for="case-assignee">${K.assignee}</label>
        <input id="case-assignee" maxlength="100" value=${assignee} aria-describedby="case-assignee-hint" onInput=${(e) => setAssignee(e.target.value)} />
        <p class="hint" id="case-assignee-hint">${K.assigneeHint}</p></div>
      <button type="submit" class="btn" disabled=${busy}>${K.saveAssignee}</button>
    </form>
    <form onSubmit=${addNote}>
      <div class="field"><label for="case-note">${K.note}</label>
        <textarea id="case-note" rows="3" maxlength="2000" value=${note} onInput=${(e) => setNote(e.target.value)}></textarea></div>
      <div class="actions"><button type="submit" class="btn" disabled=${busy}>${K.addNote}</button></div>
    </form>
    <${Outcome} error=${error} done=${done} onReload=${onReload} />
  </section>`
}

export function CasePage ({ app, id }) {
  const { kindLabel } = useCodes(app)
  const [tick, setTick] = useState(0)
  const state = useLoad(() => app.api.case(id), [id, tick])
  const [fresh, setFresh] = useState(null) // the answer of our own last change (its body and ETag)
  const current = fresh || state.data
  if (!current) return html`<section><${Loading} state=${state} /></section>`
  const c = current.body
  const me = app.me || {}
  const mayWork = me.role !== 'department' || me.department === c.department
  const reload = () => { setFresh(null); setTick((t) => t + 1) }
  const facts = [[K.kind, kindLabel(c.kind)], [K.department, c.department_label || c.department], [K.assignee, c.assignee || '—'],
    [K.opened, c.opened_date || '—'], [K.due, c.due_date || '—'], [K.resolved, c.resolved_date || '—'], [K.closed, c.closed_date || '—']]
  return html`<section class="case">
    <p class="crumbs"><a href="#/cases">${K.backToList}</a></p>
    <div class="page-head"><h1>${c.title} <span class=${'badge cs-' + c.status}>${CASE_STATUS[c.status] || c.status}</span>
      ${c.overdue ? html` <span class="badge late">${K.overdueBadge}</span>` : null}</h1>
      <p class="meta">${K.grid}：<${UnitName} app=${app} code=${c.grid_code} /></p></div>
    <div class="columns">
      <div class="main-col">
        <section class="panel" aria-labelledby="case-facts-h"><h2 id="case-facts-h">${K.cases}</h2>
          <dl class="facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
          ${c.properties && c.properties.notes ? html`<h3>${K.notes}</h3><p class="notes">${c.properties.notes}</p>` : null}
          ${c.properties && c.properties.resolution ? html`<h3>${K.resolution}</h3><p class="notes">${c.properties.resolution}</p>` : null}
        </section>
        ${mayWork ? html`<${Work} key=${c.uuid} app=${app} c=${c} etag=${current.etag} onChanged=${setFresh} onReload=${reload} />`
          : html`<p class="info">${K.notYours}</p>`}
        <section class="panel" aria-labelledby="case-actions-h"><h2 id="case-actions-h">${K.actions}</h2>
          ${(c.actions || []).length === 0 ? html`<p class="muted">${K.noActions}</p>` : html`<ol class="timeline">
            ${c.actions.slice().reverse().map((a) => html`<li class="ev">
              <div class="ev-head"><strong>${ACTION_LABEL[a.action] || a.action}</strong> <span class="muted">${when(a.at)}</span>
                ${a.from && a.to && a.from !== a.to ? html` <span class="muted">${CASE_STATUS[a.from] || a.from} → ${CASE_STATUS[a.to] || a.to}</span>` : null}</div>
              ${a.note ? html`<div class="note">${a.note}</div>` : null}
            </li>`)}</ol>`}
        </section>
      </div>
      <aside class="side-col">
        ${c.person ? html`<${Person} app=${app} uuid=${c.person} canOpen=${me.role !== 'department'} />` : null}
      </aside>
    </div>
  </section>`
}
