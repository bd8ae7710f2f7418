// Held moves: the record, the grid it is in and the grid a submission saw it in, both on one
// map with the point; accept or reject with the review's ETag.
import { html, useState } from '../../../app/ui.js'
import { C, when } from '../strings.js'
import { UnitName, Outcome, RegistryQueue, personLink, submissionLink } from './common.js'
import { MoveMap } from './MapView.js'

function Move ({ app, dataset, move, onDone }) {
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const act = async (fn, msg) => {
    setBusy(true)
    setError(null)
    try { await fn(); app.toast(msg); onDone() } catch (e) { setError(e) } finally { setBusy(false) }
  }
  return html`<article class="panel move" aria-labelledby=${`move-${move.id}-h`}>
    <h2 id=${`move-${move.id}-h`}><a href=${personLink(dataset, move.entity.uuid)}>${move.entity.label}</a></h2>
    <div class="columns two">
      <div>
        <dl class="facts">
          <dt>${C.fromGrid}</dt><dd><${UnitName} app=${app} code=${move.from_grid} /></dd>
          <dt>${C.toGrid}</dt><dd><${UnitName} app=${app} code=${move.to_grid} /></dd>
          <dt>日期</dt><dd>${move.event_date || when(move.created_at)}</dd>
          <dt>来源</dt><dd>${move.submission ? html`<a href=${submissionLink(move.submission)}>查看提交</a>` : '—'}</dd>
        </dl>
        <div class="actions">
          <button type="button" class="btn primary" disabled=${busy} onClick=${() => act(() => app.api.acceptMove(dataset, move.id, move.etag), '已同意迁移')}>${C.accept}</button>
          <button type="button" class="btn secondary" disabled=${busy} onClick=${() => act(() => app.api.rejectMove(dataset, move.id, move.etag), '已驳回迁移')}>${C.reject}</button>
        </div>
        <${Outcome} error=${error} onReload=${onDone} />
      </div>
      <${MoveMap} app=${app} move=${move} />
    </div>
  </article>`
}

export function MovesPage ({ app }) {
  return html`<${RegistryQueue} app=${app} title=${C.moves} limit=${10}
    load=${(dataset, page) => app.api.placements(dataset, page)}
    render=${(m, { dataset, reload }) => html`<${Move} key=${m.etag} app=${app} dataset=${dataset} move=${m} onDone=${reload} />`} />`
}
