// 用户管理: the accounts, found by name, role, state or admin unit; each opens its own page.
// The unit tree and the departments are loaded once per session and shared by the admin pages.
import { html, useState } from '../../../app/ui.js'
import { A, ROLES, ROLE_LABEL } from '../admin_strings.js'
import { C, when } from '../strings.js'
import { indexTree } from '../unit_tree.js'
import { Loading, Select, useLoad } from './common.js'

export const userLink = (username) => `#/users/${encodeURIComponent(username)}`

/**
 * The unit tree and its index, fetched once; with ``boundaries`` (for the map) it is a much
 * longer answer (about 1.9 s for the demo city's 700 units on SQLite, 0.2 s without), so the
 * user form asks without them.
 */
export function loadUnits (app, boundaries = false) {
  const cache = app.unitTrees || (app.unitTrees = new Map())
  if (!cache.has(boundaries)) {
    cache.set(boundaries, app.api.unitTree(boundaries).then((roots) => ({ roots, index: indexTree(roots) }))
      .catch((e) => { cache.delete(boundaries); throw e }))
  }
  return cache.get(boundaries)
}

/** The city's departments with their purposes, fetched once. */
export function loadDepartments (app) {
  if (!app.departmentsLoad) app.departmentsLoad = app.api.departments().catch((e) => { app.departmentsLoad = null; throw e })
  return app.departmentsLoad
}

const EMPTY = { q: '', role: '', is_active: '' }

export function UsersPage ({ app, unit }) {
  const [draft, setDraft] = useState({ ...EMPTY })
  const [filters, setFilters] = useState({ ...EMPTY })
  const state = useLoad(() => app.api.users({ ...filters, unit }), [JSON.stringify(filters), unit])
  const deps = useLoad(() => loadDepartments(app).catch(() => []))
  const deptName = (code) => ((deps.data || []).find((d) => d.code === code) || {}).label_zh || code
  const users = state.data || []
  const set = (k) => (v) => setDraft((d) => ({ ...d, [k]: v }))
  return html`<section class="admin">
    <div class="page-head"><h1>${A.users}</h1>
      <a class="btn primary" href="#/users/new">${A.newUser}</a></div>
    <p class="meta">${A.usersIntro}</p>
    <form class="filters" aria-label=${C.filters} onSubmit=${(e) => { e.preventDefault(); setFilters(draft) }}>
      <div class="field"><label for="user-q">${A.search}</label>
        <input id="user-q" type="search" value=${draft.q} onInput=${(e) => set('q')(e.target.value)} /></div>
      <${Select} id="user-role" label=${A.role} value=${draft.role} onChange=${set('role')}
        options=${[['', C.any], ...ROLES.map((r) => [r, ROLE_LABEL[r]])]} />
      <${Select} id="user-active" label=${A.state} value=${draft.is_active} onChange=${set('is_active')}
        options=${[['', C.any], ['true', A.active], ['false', A.inactive]]} />
      <div class="buttons"><button type="submit" class="btn primary">${C.apply}</button>
        <button type="button" class="btn secondary" onClick=${() => { setDraft({ ...EMPTY }); setFilters({ ...EMPTY }) }}>${C.clear}</button></div>
    </form>
    ${unit ? html`<p class="info">${A.usersHere}：<code>${unit}</code> <a href="#/users">${C.clear}</a></p>` : null}
    <${Loading} state=${state}>
      ${users.length ? html`<table class="grid-table users-table">
        <caption class="visually-hidden">${A.users}</caption>
        <thead><tr><th scope="col">${A.username}</th><th scope="col">${A.displayName}</th><th scope="col">${A.role}</th>
          <th scope="col">${A.unitsField}</th><th scope="col">${A.state}</th><th scope="col">${A.createdAt}</th>
          <th scope="col"><span class="visually-hidden">${A.open}</span></th></tr></thead>
        <tbody>${users.map((u) => html`<tr key=${u.username} data-user=${u.username}>
          <td><code>${u.username}</code></td><td>${u.display_name}</td>
          <td>${ROLE_LABEL[u.role] || u.role}${u.department ? html`<div class="muted">${deptName(u.department)}</div>` : null}</td>
          <td>${(u.units || []).map((x) => x.name).join('、') || html`<span class="muted">—</span>`}</td>
          <td>${u.is_active ? html`<span class="badge st-validated">${A.active}</span>` : html`<span class="badge st-rejected">${A.inactive}</span>`}</td>
          <td>${when(u.created_at)}</td>
          <td><a class="btn small" href=${userLink(u.username)} aria-label=${`${A.open} ${u.username}`}>${A.open}</a></td>
        </tr>`)}</tbody></table>` : html`<p class="muted">${A.noUsers}</p>`}
    <//>
  </section>`
}
