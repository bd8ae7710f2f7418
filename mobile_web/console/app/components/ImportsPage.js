// 批量导入 (admins): upload a department's CSV or XLSX file for a dataset, watch its rows go
// through the registry's merge, then read the report: created, updated, duplicate candidates
// and the refused rows with their row numbers and reasons.
import { html, useEffect, useRef, useState } from '../../../app/ui.js'
import { S, poll, sharingApi } from '../sharing.js'
import { Progress } from './ExportsPage.js'
import { Select, errorText, useLoad } from './common.js'

const ENCODINGS = [['', S.encodingAuto], ['utf-8', 'UTF-8'], ['gb18030', 'GBK / GB18030']]

/** A refused row's reasons in words: each problem's column and message (the code when there is none). */
const reasons = (r) => (r.problems && r.problems.length
  ? r.problems.map((p) => `${p.column ? p.column + '：' : ''}${p.message || p.code}`).join('；')
  : r.message || S.outcome[r.code] || r.code || S.outcome.duplicate_in_file)

function Report ({ job }) {
  const report = job.report || { counts: {}, rows: {} }
  const refused = [...(report.rows.refused || []), ...(report.rows.duplicate_in_file || [])].sort((a, b) => a.row - b.row)
  return html`<section class="panel" aria-labelledby="import-report-h">
    <h2 id="import-report-h">${S.report}</h2>
    <table class="grid-table import-counts">
      <thead><tr>${Object.keys(S.outcome).map((k) => html`<th scope="col">${S.outcome[k]}</th>`)}</tr></thead>
      <tbody><tr>${Object.keys(S.outcome).map((k) => html`<td data-outcome=${k}>${report.counts[k] || 0}</td>`)}</tr></tbody>
    </table>
    ${refused.length ? html`<h3>${S.refusedRows}</h3>
      <table class="grid-table refused-rows"><thead><tr><th scope="col">${S.row}</th><th scope="col">${S.reason}</th></tr></thead>
        <tbody>${refused.map((r) => html`<tr><td>${r.row}</td>
          <td>${reasons(r)}</td></tr>`)}</tbody>
      </table>` : null}
  </section>`
}

export function ImportsPage ({ app }) {
  const share = sharingApi(app.api)
  const datasets = useLoad(() => app.api.datasets())
  const [dataset, setDataset] = useState('persons')
  const [source, setSource] = useState('')
  const [encoding, setEncoding] = useState('')
  const [mapping, setMapping] = useState('')
  const [job, setJob] = useState(null)
  const [error, setError] = useState(null)
  const [stopPoll, setStopPoll] = useState(null)
  const file = useRef(null)
  const [fileName, setFileName] = useState('')
  useEffect(() => () => stopPoll && stopPoll(), [stopPoll])
  const submit = async (e) => {
    e.preventDefault()
    setError(null)
    setJob(null)
    const chosen = file.current && file.current.files[0]
    if (!chosen) return setError({ message: S.file })
    try {
      app.toast(S.uploading)
      const accepted = await share.startImport({ dataset, source, encoding, mapping }, chosen)
      app.toast('')
      setJob({ ...accepted, done: 0, total: null })
      setStopPoll(() => poll(() => share.importState(accepted.id), (s, err) => err ? setError(err) : setJob(s)))
    } catch (err) { app.toast(''); setError(err) }
  }
  const options = (datasets.data || []).map((d) => [d.name, d.label_zh ? `${d.label_zh}（${d.name}）` : d.name])
  return html`<div class="sharing">
    <div class="page-head"><h1>${S.imports}</h1></div>
    <p class="meta">${S.importIntro}</p>
    <form class="panel import-form" onSubmit=${submit} aria-label=${S.imports}>
      <${Select} label=${S.dataset} value=${dataset} onChange=${setDataset} options=${options} />
      <div class="field"><label for="import-source">${S.sourceName}</label>
        <input id="import-source" required pattern="[A-Za-z0-9_.\\-]+" value=${source} onInput=${(e) => setSource(e.target.value)} /></div>
      <${Select} label=${S.encoding} value=${encoding} onChange=${setEncoding} options=${ENCODINGS} />
      <div class="field"><label class="btn file-btn" for="import-file">${S.file}</label>
        <input id="import-file" class="visually-hidden" ref=${file} type="file" accept=".csv,.xlsx,text/csv"
          onChange=${(e) => setFileName((e.target.files[0] || {}).name || '')} />
        <span class="muted chosen-file">${fileName || S.noFile}</span></div>
      <div class="field wide"><label for="import-mapping">${S.mapping}</label>
        <textarea id="import-mapping" rows="3" value=${mapping} onInput=${(e) => setMapping(e.target.value)}
          placeholder="columns:\n  姓名: full_name"></textarea></div>
      <div class="field"><button type="submit" class="btn primary">${S.upload}</button></div>
    </form>
    <section class="panel" aria-labelledby="import-progress-h" aria-live="polite">
      <h2 id="import-progress-h">${S.progress}</h2>
      ${job ? html`<${Progress} job=${job} label=${S.progress} />` : html`<p class="muted">—</p>`}
      ${job && job.error ? html`<p class="warn" role="alert">${job.error.message || job.error.code}</p>` : null}
      ${error ? html`<p class="warn" role="alert">${errorText(error)}</p>` : null}
    </section>
    ${job && job.report ? html`<${Report} job=${job} />` : null}
  </div>`
}
