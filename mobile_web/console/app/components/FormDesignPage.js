// One form for its designer: the draft (or the published version) in the phone preview, a new
// draft uploaded over the old one, publishing with a confirmation, the versions with who
// uploaded and published them, and what changed between two versions.
import { html, useEffect, useRef, useState } from '../../../app/ui.js'
import { initialLanguage } from '../../../app/i18n.js'
import { D, SETTING, STATE, typeName } from '../designer_strings.js'
import { when } from '../strings.js'
import { diffForms, settingText } from '../form_diff.js'
import { Loading, Outcome, Select, useLoad } from './common.js'
import { UploadZone } from './Upload.js'
import { PhonePreview } from './PhonePreview.js'
import { formLink } from './FormsPage.js'

export function FormDesignPage ({ app, formId }) {
  const [tick, setTick] = useState(0)
  const reload = () => setTick((t) => t + 1)
  const versions = useLoad(() => app.api.formVersions(formId), [formId, tick])
  const list = versions.data || []
  const draft = list.find((v) => v.state === 'draft')
  const current = list.find((v) => v.state === 'published')
  const shown = draft || current
  const def = useLoad(() => (shown ? app.api.versionFresh(formId, shown.version).then((f) => f.definition) : Promise.resolve(null)),
    [formId, shown && shown.version, shown && shown.state, tick])
  const title = (current || draft || {}).title || formId
  return html`<div class="designer">
    <div class="page-head"><h1>${title} <span class="muted small-id">${formId}</span></h1>
      <p class="crumbs"><a href="#/forms">${D.backToForms}</a></p></div>
    <${Loading} state=${versions}>
      <div class="design-columns">
        <section class="panel preview-panel" aria-labelledby="preview-h">
          <h2 id="preview-h">${D.preview}${shown ? html` <span class="muted">${D.previewOf(shown.version, shown.state)}</span>` : null}</h2>
          <${Loading} state=${def}>${def.data ? html`<${PhonePreview} def=${def.data} key=${def.data.digest} />` : null}<//>
        </section>
        <div class="design-side">
          <${PublishPanel} app=${app} formId=${formId} draft=${draft} current=${current} onDone=${reload} />
          <${UploadZone} app=${app} label=${D.uploadNew} onUploaded=${(r) => (r.form_id === formId ? reload() : (location.hash = formLink(r.form_id)))} />
          <${VersionList} list=${list} />
          <${Compare} app=${app} formId=${formId} list=${list} />
        </div>
      </div>
    <//>
  </div>`
}

function PublishPanel ({ app, formId, draft, current, onDone }) {
  const [asking, setAsking] = useState(false)
  const [error, setError] = useState(null)
  const confirmBtn = useRef(null)
  useEffect(() => { if (asking && confirmBtn.current) confirmBtn.current.focus() }, [asking])
  const publish = async () => {
    setError(null)
    try {
      const done = await app.api.publish(formId)
      setAsking(false)
      app.toast(D.publishedOk(done.version))
      onDone()
    } catch (e) { setError(e) }
  }
  return html`<section class="panel publish" aria-labelledby="publish-h">
    <h2 id="publish-h">${D.publishTitle}</h2>
    ${!draft ? html`<p class="muted">${D.noDraftToPublish}</p>` : asking
      ? html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-q">
          <p id="confirm-q">${D.confirmPublish(draft.version, current && current.version)}</p>
          <div class="actions">
            <button type="button" class="btn primary" ref=${confirmBtn} onClick=${publish}>${D.confirm}</button>
            <button type="button" class="btn secondary" onClick=${() => setAsking(false)}>${D.cancel}</button>
          </div></div>`
      : html`<p>${D.draftReady(draft.version)}</p>
          <div class="actions"><button type="button" class="btn primary" onClick=${() => setAsking(true)}>${D.publish}</button></div>`}
    <${Outcome} error=${error} />
  </section>`
}

function VersionList ({ list }) {
  return html`<section class="panel" aria-labelledby="versions-h">
    <h2 id="versions-h">${D.versions}</h2>
    <table class="grid-table versions-table">
      <thead><tr><th scope="col">${D.version}</th><th scope="col">${D.state}</th><th scope="col">${D.uploadedBy}</th>
        <th scope="col">${D.uploadedAt}</th><th scope="col">${D.publishedBy}</th><th scope="col">${D.publishedAt}</th></tr></thead>
      <tbody>${list.map((v) => html`<tr data-version=${v.version}>
        <td>第 ${v.version} 版</td>
        <td><span class=${'badge ' + ({ draft: 'rv-has_issues', published: 'rv-approved' }[v.state] || '')}>${STATE[v.state] || v.state}</span></td>
        <td>${v.uploaded_by || '系统'}</td><td>${when(v.created_at)}</td>
        <td>${v.published_at ? v.published_by || '系统' : '—'}</td><td>${v.published_at ? when(v.published_at) : '—'}</td>
      </tr>`)}</tbody>
    </table>
  </section>`
}

function Compare ({ app, formId, list }) {
  const options = list.map((v) => [v.version, `第 ${v.version} 版（${STATE[v.state] || v.state}）`])
  const [from, setFrom] = useState(list[1] ? list[1].version : '')
  const [to, setTo] = useState(list[0] ? list[0].version : '')
  useEffect(() => { setFrom(list[1] ? list[1].version : ''); setTo(list[0] ? list[0].version : '') }, [list.map((v) => v.version + v.state).join()])
  const [result, setResult] = useState(null)
  const [error, setError] = useState(null)
  const run = async () => {
    setError(null)
    try {
      const [a, b] = await Promise.all([app.api.versionFresh(formId, from), app.api.versionFresh(formId, to)])
      setResult({ from, to, lang: initialLanguage(b.definition), diff: diffForms(a.definition, b.definition) })
    } catch (e) { setError(e) }
  }
  return html`<section class="panel compare" aria-labelledby="compare-h">
    <h2 id="compare-h">${D.compare}</h2>
    ${list.length < 2 ? html`<p class="muted">${D.needTwo}</p>` : html`
      <form class="compare-form" onSubmit=${(e) => { e.preventDefault(); run() }}>
        <${Select} label=${D.from} value=${from} options=${options} onChange=${setFrom} />
        <${Select} label=${D.to} value=${to} options=${options} onChange=${setTo} />
        <button type="submit" class="btn">${D.showDiff}</button>
      </form>`}
    <${Outcome} error=${error} />
    ${result ? html`<${DiffView} result=${result} />` : null}
  </section>`
}

function DiffView ({ result }) {
  const { diff, lang } = result
  const label = (f) => settingText(f.label, lang)
  const shown = (x, v) => (x.key === 'type' && v ? typeName(v) : settingText(v, lang))
  const none = !diff.added.length && !diff.removed.length && !diff.changed.length
  return html`<div class="form-diff" aria-live="polite">
    <p class="meta">第 ${result.from} 版 → 第 ${result.to} 版</p>
    ${none ? html`<p class="info">${D.noChange}</p>` : null}
    ${diff.added.length ? html`<h3>${D.added}（${diff.added.length}）</h3>
      <ul class="plain diff-added">${diff.added.map((f) => html`<li><ins>+ <code>${f.name}</code> ${label(f)}</ins> <span class="muted">${typeName(f.type)}</span></li>`)}</ul>` : null}
    ${diff.removed.length ? html`<h3>${D.removed}（${diff.removed.length}）</h3>
      <ul class="plain diff-removed">${diff.removed.map((f) => html`<li><del>− <code>${f.name}</code> ${label(f)}</del> <span class="muted">${typeName(f.type)}</span></li>`)}</ul>` : null}
    ${diff.changed.length ? html`<h3>${D.changed}（${diff.changed.length}）</h3>
      <table class="grid-table diff-changed"><thead><tr><th scope="col">${D.name}</th><th scope="col">${D.setting}</th>
        <th scope="col">${D.before}</th><th scope="col">${D.after}</th></tr></thead>
      <tbody>${diff.changed.flatMap((c) => c.changes.map((x, i) => html`<tr>
        ${i === 0 ? html`<th scope="row" rowspan=${c.changes.length}><code>${c.field.name}</code> ${label(c.field)}</th>` : null}
        <td>${SETTING[x.key] || x.key}</td><td><del>${shown(x, x.before)}</del></td><td><ins>${shown(x, x.after)}</ins></td>
      </tr>`))}</tbody></table>` : null}
  </div>`
}
