// 表单设计: the forms with their published version and draft, and the upload of a workbook
// (a new form, or a new draft of one) whose problems are listed where the server located them.
import { html } from '../../../app/ui.js'
import { D } from '../designer_strings.js'
import { Loading, useLoad } from './common.js'
import { UploadZone } from './Upload.js'

export const formLink = (formId) => `#/forms/${encodeURIComponent(formId)}`

export function FormsPage ({ app }) {
  const state = useLoad(() => app.api.forms())
  const forms = state.data || []
  return html`<div class="designer">
    <div class="page-head"><h1>${D.forms}</h1></div>
    <p class="meta">${D.formsIntro}</p>
    <${UploadZone} app=${app} onUploaded=${(r) => { location.hash = formLink(r.form_id) }} />
    <section class="panel" aria-labelledby="forms-h">
      <h2 id="forms-h">表单列表</h2>
      <${Loading} state=${state}>
        ${forms.length ? html`<table class="grid-table forms-table">
          <thead><tr><th scope="col">${D.title}</th><th scope="col">${D.formId}</th><th scope="col">${D.published}</th>
            <th scope="col">${D.draft}</th><th scope="col"><span class="visually-hidden">${D.open}</span></th></tr></thead>
          <tbody>${forms.map((f) => html`<tr data-form=${f.form_id}>
            <td>${f.title}</td><td><code>${f.form_id}</code></td>
            <td>${f.version ? `第 ${f.version} 版` : html`<span class="muted">${D.notPublished}</span>`}</td>
            <td>${f.has_draft ? html`<span class="badge rv-has_issues">${D.draftWaiting}</span>` : html`<span class="muted">${D.noDraft}</span>`}</td>
            <td><a class="btn small" href=${formLink(f.form_id)} aria-label=${`${D.open} ${f.title}`}>${D.open}</a></td>
          </tr>`)}</tbody></table>` : html`<p class="muted">${D.noForms}</p>`}
      <//>
    </section>
  </div>`
}
