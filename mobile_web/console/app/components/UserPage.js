// One account: the form that creates it or changes its role, name, department and admin units,
// then (for an existing account) disabling, password resets and a department's API tokens.
import { html, useEffect, useState } from '../../../app/ui.js'
import { A, ROLES, ROLE_LABEL } from '../admin_strings.js'
import { Loading, Select, errorText, propLabel, useLoad } from './common.js'
import { UnitPicker } from './UnitTree.js'
import { loadDepartments, loadUnits, userLink } from './UsersPage.js'
import { AccountActions } from './UserAccount.js'

/** Each field's problem from a 422: our words for it, then the server's own message. */
const fieldErrors = (e) => Object.fromEntries(Object.entries((e && e.errors) || {}).map(([k, v]) => {
  const said = Array.isArray(v) ? v.join('；') : typeof v === 'object' ? Object.values(v).flat().join('；') : String(v)
  return [k, A.fieldProblem[k] ? `${A.fieldProblem[k]}（${said}）` : said]
}))

function Field ({ id, label, hint, error, children }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>${children}
    ${hint ? html`<p class="hint" id=${id + '-hint'}>${hint}</p>` : null}
    ${error ? html`<p class="q-error" id=${id + '-error'} role="alert">${error}</p>` : null}
  </div>`
}

function Purpose ({ dept, datasets }) {
  if (!dept) return null
  const p = dept.purpose
  if (!p) return html`<p class="warn">${A.purposeNone}</p>`
  return html`<div class="purpose" aria-label=${A.purpose}>
    <p><strong>${A.purpose}：</strong>${p.label_zh}</p>
    <ul class="plain">${Object.entries(p.datasets).map(([ds, props]) => html`<li key=${ds}>${A.purposeReads}
      ${(datasets.find((d) => d.name === ds) || {}).label_zh || ds}：${props.map((x) => propLabel(datasets, ds, x)).join('、')}</li>`)}
      ${p.cases ? html`<li>${A.purposeCases}</li>` : null}</ul>
  </div>`
}

function UserForm ({ app, user, units, departments, datasets, onSaved }) {
  const creating = !user
  const [form, setForm] = useState(() => ({
    username: '', password: '', display_name: user ? user.display_name : '', role: user ? user.role : 'grid_worker',
    department: (user && user.department) || '', units: user ? (user.units || []).map((u) => u.code) : []
  }))
  const [error, setError] = useState(null)
  const [errs, setErrs] = useState({})
  const [busy, setBusy] = useState(false)
  const set = (k) => (v) => {
    setForm((f) => ({ ...f, [k]: v }))
    setErrs((e) => { const n = { ...e }; delete n[k]; return n }) // a field changed since: its old problem no longer stands
  }
  const isDept = form.role === 'department'
  const submit = async (e) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setErrs({})
    const body = { display_name: form.display_name || undefined, role: form.role, units: form.units,
      department: isDept ? form.department || undefined : (creating ? undefined : null) }
    try {
      const saved = creating
        ? await app.api.createUser({ ...body, username: form.username, password: form.password })
        : await app.api.updateUser(user.username, body)
      app.toast(creating ? A.created(saved.username) : A.saved)
      onSaved(saved)
    } catch (err) { setError(err); setErrs(fieldErrors(err)) } finally { setBusy(false) }
  }
  const dept = departments.find((d) => d.code === form.department)
  const described = (id) => [`${id}-hint`, errs[id] ? `${id}-error` : ''].filter(Boolean).join(' ')
  return html`<form class="panel user-form" aria-labelledby="user-form-h" onSubmit=${submit} novalidate>
    <h2 id="user-form-h">${creating ? A.newUser : A.account}</h2>
    <div class="form-grid">
      ${creating ? html`<${Field} id="username" label=${A.username} hint=${A.usernameHint} error=${errs.username}>
        <input id="username" required autocomplete="off" value=${form.username} aria-describedby=${described('username')}
          aria-invalid=${errs.username ? 'true' : undefined} onInput=${(e) => set('username')(e.target.value)} /><//>` : null}
      <${Field} id="display_name" label=${A.displayName} error=${errs.display_name}>
        <input id="display_name" value=${form.display_name} onInput=${(e) => set('display_name')(e.target.value)} /><//>
      ${creating ? html`<${Field} id="password" label=${A.password} hint=${A.passwordHint} error=${errs.password}>
        <input id="password" type="password" required autocomplete="new-password" value=${form.password}
          aria-describedby=${described('password')} aria-invalid=${errs.password ? 'true' : undefined}
          onInput=${(e) => set('password')(e.target.value)} /><//>` : null}
      <${Select} id="role" label=${A.role} value=${form.role} onChange=${set('role')} options=${ROLES.map((r) => [r, ROLE_LABEL[r]])} />
      ${errs.role ? html`<p class="q-error" role="alert">${errs.role}</p>` : null}
      ${isDept ? html`<${Field} id="department" label=${A.department} hint=${A.departmentHint} error=${errs.department}>
        <select id="department" value=${form.department} aria-describedby=${described('department')} onChange=${(e) => set('department')(e.target.value)}>
          <option value="" selected=${!form.department}>${A.chooseDepartment}</option>
          ${departments.map((d) => html`<option value=${d.code} selected=${d.code === form.department}>${d.label_zh}</option>`)}
        </select><//>` : null}
    </div>
    ${isDept ? html`<${Purpose} dept=${dept} datasets=${datasets} />` : null}
    <${UnitPicker} index=${units.index} roots=${units.roots} value=${form.units} onChange=${set('units')} error=${errs.units} />
    <div class="actions"><button type="submit" class="btn primary" disabled=${busy}>${creating ? A.create : A.save}</button>
      <a class="btn secondary" href="#/users">${A.backToUsers}</a></div>
    ${error ? html`<p class="warn" role="alert">${errorText(error)}</p>` : null}
  </form>`
}

export function UserPage ({ app, username }) {
  const creating = username === 'new'
  const [user, setUser] = useState(null)
  const state = useLoad(() => Promise.all([loadUnits(app), loadDepartments(app),
    creating ? null : app.api.user(username), app.datasets || app.api.datasets().then((d) => { app.datasets = d; return d }).catch(() => [])]), [username])
  useEffect(() => { if (state.data) setUser(state.data[2]) }, [state.data])
  const [units, departments, , datasets] = state.data || []
  return html`<section class="admin">
    <p class="crumbs"><a href="#/users">${A.backToUsers}</a></p>
    <h1>${creating ? A.newUser : html`${A.users}：<code>${username}</code>`}</h1>
    <${Loading} state=${state}>
      ${state.data && (creating || user) ? html`<div class="columns user-columns">
        <${UserForm} key=${user ? user.username + user.role : 'new'} app=${app} user=${user} units=${units} departments=${departments} datasets=${datasets}
          onSaved=${(saved) => { if (creating) location.hash = userLink(saved.username); else setUser(saved) }} />
        ${user ? html`<${AccountActions} app=${app} user=${user} onChanged=${setUser} />` : null}
      </div>` : null}
    <//>
  </section>`
}
