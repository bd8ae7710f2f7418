// The forms the worker may fill (GET /api/v1/forms), cached for offline use.
import { html, useState, useEffect } from '../ui.js'
import { T } from '../i18n.js'

export function FormList ({ app }) {
  const [state, setState] = useState({ forms: null, offline: false, error: '' })
  const load = () => app.forms.list()
    .then((r) => setState({ forms: r.forms, offline: r.offline, error: '' }))
    .catch((e) => setState({ forms: [], offline: true, error: T.loadFailed + e.message }))
  useEffect(() => { load() }, [])
  const { forms, offline, error } = state
  return html`<section aria-labelledby="forms-h">
    <div class="row"><h1 id="forms-h">${T.forms}</h1>
      <button type="button" class="btn secondary" onClick=${load}>${T.refresh}</button></div>
    ${offline ? html`<p class="info" role="status">${T.offlineCached}</p>` : null}
    ${error ? html`<p class="warn" role="alert">${error}</p>` : null}
    ${forms === null ? html`<p aria-live="polite">…</p>` : null}
    ${forms && !forms.length && !error ? html`<p>${T.noForms}</p>` : null}
    <ul class="list">
      ${(forms || []).filter((f) => f.version).map((f) => html`<li key=${f.form_id}>
        <a class="card" href=${'#/form/' + encodeURIComponent(f.form_id)}>
          <span class="card-title">${f.title || f.form_id}</span>
          <span class="card-sub">${T.newRecord} · v${f.version}</span></a></li>`)}
    </ul>
    <p class="footer">${app.session.username}
      <button type="button" class="btn secondary" onClick=${async () => {
        if (!window.confirm(T.confirmLogout)) return
        await app.session.logout(app.api)
        location.hash = '#/login'
      }}>${T.logout}</button></p>
  </section>`
}
