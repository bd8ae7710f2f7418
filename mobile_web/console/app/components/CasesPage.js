// The case inbox: a department's own cases (a supervisor's or admin's: every case in their
// scope, by department), overdue first, filtered by status, kind and overdue, paged by cursor.
// Supervisors and admins also open a case by hand for a person (NewCasePage).
import { html, useState } from '../../../app/ui.js'
import { C } from '../strings.js'
import { CASE_STATUS, K } from '../case_strings.js'
import { Loading, Outcome, Select, UnitName, useLoad } from './common.js'

export const caseLink = (uuid) => `#/case/${encodeURIComponent(uuid)}`
const PAGE = 20

/** The code lists (departments, kinds), fetched once a session. */
export function useCodes (app) {
  const state = useLoad(() => app.caseCodes ? Promise.resolve(app.caseCodes)
    : app.api.caseCodes().then((c) => { app.caseCodes = c; return c }))
  const data = state.data || { departments: [], kinds: [] }
  const label = (list, code) => ((data[list] || []).find((x) => x.code === code) || {}).label_zh || code || '—'
  return { codes: data, kindLabel: (c) => label('kinds', c), deptLabel: (c) => label('departments', c), ready: !state.loading }
}

const EMPTY = { status: '', kind: '', overdue: '', department: '' }
let kept = { filters: { ...EMPTY }, cursors: [] } // filters survive a visit to a case

export function CasesPage ({ app }) {
  const me = app.me || {}
  const own = me.role === 'department'
  const { codes, kindLabel, deptLabel } = useCodes(app)
  const [filters, setFilters] = useState(kept.filters)
  const [applied, setApplied] = useState(kept.filters)
  const [cursors, setCursors] = useState(kept.cursors)
  const cursor = cursors.length ? cursors[cursors.length - 1] : null
  kept = { filters: applied, cursors }
  const params = { ...applied, department: own ? me.department : applied.department, order: 'overdue_first', cursor, limit: PAGE }
  const page = useLoad(() => app.api.cases(params), [JSON.stringify(params)])
  const set = (k) => (v) => setFilters({ ...filters, [k]: v })
  const apply = (f) => { setApplied({ ...f }); setCursors([]) }
  const any = [['', C.any]]
  const data = page.data
  return html`<section class="queue cases">
    <div class="page-head"><h1>${own ? K.deptCases : K.cases}</h1>
      ${own ? html`<p class="meta">${deptLabel(me.department)}</p>` : html`<a class="btn primary" href="#/cases/new">${K.newCase}</a>`}</div>
    <form class="filters" aria-label=${C.filters} onSubmit=${(e) => { e.preventDefault(); apply(filters) }}>
      <${Select} id="c-status" label=${K.status} value=${filters.status} onChange=${set('status')}
        options=${[...any, ...Object.entries(CASE_STATUS)]} />
      <${Select} id="c-kind" label=${K.kind} value=${filters.kind} onChange=${set('kind')}
        options=${[...any, ...codes.kinds.map((k) => [k.code, k.label_zh])]} />
      <${Select} id="c-overdue" label=${K.overdue} value=${filters.overdue} onChange=${set('overdue')}
        options=${[...any, ['true', K.overdueOnly], ['false', K.notOverdue]]} />
      ${own ? null : html`<${Select} id="c-dept" label=${K.department} value=${filters.department} onChange=${set('department')}
        options=${[...any, ...codes.departments.map((d) => [d.code, d.label_zh])]} />`}
      <div class="field buttons">
        <button type="submit" class="btn primary">${C.apply}</button>
        <button type="button" class="btn secondary" onClick=${() => { setFilters({ ...EMPTY }); apply(EMPTY) }}>${C.clear}</button>
      </div>
    </form>
    <${Loading} state=${page}>
      ${data && data.items.length === 0 ? html`<p class="muted">${C.noItems}</p>` : null}
      ${data && data.items.length ? html`<table class="grid-table">
        <caption class="visually-hidden">${own ? K.deptCases : K.cases}</caption>
        <thead><tr><th scope="col">${K.title}</th><th scope="col">${K.kind}</th>${own ? null : html`<th scope="col">${K.department}</th>`}
          <th scope="col">${K.status}</th><th scope="col">${K.assignee}</th><th scope="col">${K.opened}</th><th scope="col">${K.due}</th>
          <th scope="col">${K.grid}</th></tr></thead>
        <tbody>${data.items.map((c) => html`<tr key=${c.uuid} class=${c.overdue ? 'late' : ''}>
          <td><a class="row-link" href=${caseLink(c.uuid)}>${c.title}</a></td>
          <td>${kindLabel(c.kind)}</td>
          ${own ? null : html`<td>${c.department_label || deptLabel(c.department)}</td>`}
          <td><span class=${'badge cs-' + c.status}>${CASE_STATUS[c.status] || c.status}</span></td>
          <td>${c.assignee || '—'}</td>
          <td>${c.opened_date || '—'}</td>
          <td>${c.due_date || '—'}${c.overdue ? html` <span class="badge late">${K.overdueBadge}</span>` : null}</td>
          <td><${UnitName} app=${app} code=${c.grid_code} /></td>
        </tr>`)}</tbody></table>` : null}
      <div class="pager">
        ${cursors.length ? html`<button type="button" class="btn secondary" onClick=${() => setCursors([])}>${C.first}</button>` : null}
        ${data && data.next_cursor ? html`<button type="button" class="btn" onClick=${() => setCursors([...cursors, data.next_cursor])}>${C.next}</button>` : null}
      </div>
    <//>
  </section>`
}

/** Opening a case by hand: find the person, say what it is and which department takes it. */
export function NewCasePage ({ app }) {
  const { codes } = useCodes(app)
  const [q, setQ] = useState('')
  const [found, setFound] = useState(null)
  const [person, setPerson] = useState('')
  const [form, setForm] = useState({ kind: 'appeal', department: '', title: '', notes: '', due_date: '' })
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const set = (k) => (v) => setForm({ ...form, [k]: v })
  const find = async (e) => {
    e.preventDefault()
    setError(null)
    try { setFound((await app.api.search('persons', { q: q.trim(), limit: 20 })).items) } catch (err) { setError(err) }
  }
  const submit = async (e) => {
    e.preventDefault()
    if (!person) { setError({ message: K.noPerson }); return }
    setBusy(true)
    setError(null)
    const body = { person, kind: form.kind, department: form.department, title: form.title.trim(),
      ...(form.notes.trim() ? { notes: form.notes.trim() } : {}), ...(form.due_date ? { due_date: form.due_date } : {}) }
    try {
      const c = await app.api.openCase(body)
      app.toast(K.created)
      location.hash = caseLink(c.uuid)
    } catch (err) { setError(err) } finally { setBusy(false) }
  }
  return html`<section class="new-case">
    <p class="crumbs"><a href="#/cases">${K.backToList}</a></p>
    <h1>${K.newCase}</h1>
    <div class="columns two">
      <section class="panel" aria-labelledby="nc-p"><h2 id="nc-p">${K.person}</h2>
        <form class="inline-form" role="search" onSubmit=${find}>
          <div class="field"><label for="nc-q">${K.findPerson}</label><input id="nc-q" value=${q} onInput=${(e) => setQ(e.target.value)} /></div>
          <button type="submit" class="btn">${C.search}</button>
        </form>
        ${found && found.length === 0 ? html`<p class="muted">${C.noItems}</p>` : null}
        ${found && found.length ? html`<fieldset class="choices"><legend>${K.pickPerson}</legend>
          ${found.map((p) => html`<label class="choice"><input type="radio" name="nc-person" value=${p.uuid}
            checked=${person === p.uuid} onChange=${() => setPerson(p.uuid)} /> ${p.label} <span class="muted"><${UnitName} app=${app} code=${p.grid_code} /></span></label>`)}
        </fieldset>` : null}
      </section>
      <form class="panel" aria-labelledby="nc-c" onSubmit=${submit}><h2 id="nc-c">${K.work}</h2>
        <${Select} id="nc-kind" label=${K.kind} value=${form.kind} onChange=${set('kind')} options=${codes.kinds.map((k) => [k.code, `${k.label_zh}（${k.due_days} 天）`])} />
        <${Select} id="nc-dept" label=${K.department} value=${form.department} onChange=${set('department')}
          options=${[['', '请选择'], ...codes.departments.map((d) => [d.code, d.label_zh])]} />
        <div class="field"><label for="nc-title">${K.title}</label><input id="nc-title" required maxlength="200" value=${form.title} onInput=${(e) => set('title')(e.target.value)} /></div>
        <div class="field"><label for="nc-notes">${K.notes}</label><textarea id="nc-notes" rows="4" maxlength="4000" value=${form.notes} onInput=${(e) => set('notes')(e.target.value)}></textarea></div>
        <div class="field"><label for="nc-due">${K.dueOptional}</label><input id="nc-due" type="date" value=${form.due_date} onInput=${(e) => set('due_date')(e.target.value)} /></div>
        <div class="actions"><button type="submit" class="btn primary" disabled=${busy}>${K.create}</button></div>
        <${Outcome} error=${error} />
      </form>
    </div>
  </section>`
}
