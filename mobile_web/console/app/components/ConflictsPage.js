// Conflicts: for each record, every property in conflict with its base, current and incoming
// value and a choice per property; saving sends the chosen values with the record's ETag.
import { html, useState } from '../../../app/ui.js'
import { C, when } from '../strings.js'
import { Outcome, RegistryQueue, personLink, propLabel, propOf, propText, submissionLink, useChoices } from './common.js'

function Conflict ({ app, ds, dataset, item, onDone, choices }) {
  const values = (item.conflict_detail && item.conflict_detail.values) || {}
  const names = Object.keys(values)
  const [chosen, setChosen] = useState(() => Object.fromEntries(names.map((n) => [n, 'current'])))
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const save = async () => {
    setBusy(true)
    setError(null)
    try {
      const properties = Object.fromEntries(names.map((n) => [n, values[n][chosen[n]]]))
      await app.api.resolve(dataset, item.entity_uuid, item.etag, properties)
      app.toast('冲突已处理')
      onDone()
    } catch (e) { setError(e) } finally { setBusy(false) }
  }
  const id = `conf-${item.entity_uuid}-${item.version}`
  return html`<article class="panel" aria-labelledby=${id + '-h'}>
    <h2 id=${id + '-h'}><a href=${personLink(dataset, item.entity_uuid)}>${item.label}</a>
      <span class="muted">${C.conflictKind[item.conflict] || item.conflict} · ${when(item.created_at)}</span></h2>
    ${item.source_type === 'submission' && item.source_id ? html`<p class="meta">来源：<a href=${submissionLink(item.source_id)}>查看提交</a></p>` : null}
    <table class="grid-table">
      <thead><tr><th scope="col">${C.property}</th><th scope="col">${C.base}</th><th scope="col">${C.current}</th><th scope="col">${C.incoming}</th></tr></thead>
      <tbody>${names.map((n) => {
        const label = propLabel(ds, dataset, n)
        const text = (v) => propText(v, propOf(ds, dataset, n), choices)
        const radio = (which) => html`<label class="check"><input type="radio" name=${`${id}-${n}`} checked=${chosen[n] === which}
          aria-label=${`${label}：${which === 'current' ? C.current : C.incoming} ${text(values[n][which])}`}
          onChange=${() => setChosen({ ...chosen, [n]: which })} /> ${text(values[n][which])}</label>`
        return html`<tr><th scope="row">${label}</th><td>${text(values[n].base)}</td><td>${radio('current')}</td><td>${radio('incoming')}</td></tr>`
      })}</tbody>
    </table>
    <div class="actions"><button type="button" class="btn primary" disabled=${busy} onClick=${save}>${C.resolve}</button></div>
    <${Outcome} error=${error} onReload=${onDone} />
  </article>`
}

export function ConflictsPage ({ app }) {
  const { labels: choices, ready } = useChoices(app)
  return html`<${RegistryQueue} app=${app} title=${C.conflicts} limit=${20} ready=${ready}
    load=${(dataset, page) => app.api.conflicts(dataset, page)}
    render=${(i, { datasets, dataset, reload }) => html`<${Conflict} key=${i.etag + i.version} app=${app} ds=${datasets} dataset=${dataset} item=${i} choices=${choices} onDone=${reload} />`} />`
}
