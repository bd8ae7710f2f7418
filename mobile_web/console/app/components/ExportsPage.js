// 数据导出: choose a dataset or a form and a format, start the export, watch its progress and
// download the file through its signed, expiring link (with the caller's login).
import { html, useEffect, useState } from '../../../app/ui.js'
import { S, poll, sharingApi } from '../sharing.js'
import { Select, errorText, useLoad } from './common.js'

const FORMATS = [['csv', 'CSV'], ['xlsx', 'Excel（XLSX）'], ['geojson', 'GeoJSON（地图）']]

export function Progress ({ job, label }) {
  if (!job) return null
  const total = job.total || 0
  return html`<div class="job-progress" data-status=${job.status}>
    <p><span class="badge">${S.status[job.status] || job.status}</span> ${S.rows(job.done, job.total)}</p>
    <progress aria-label=${label} max=${total || 1} value=${job.status === 'done' ? total || 1 : job.done}></progress>
  </div>`
}

export function ExportsPage ({ app }) {
  const share = sharingApi(app.api)
  const lists = useLoad(() => Promise.all([app.api.datasets(), app.api.forms().catch(() => [])]))
  const [source, setSource] = useState('dataset')
  const [name, setName] = useState('')
  const [format, setFormat] = useState('csv')
  const [job, setJob] = useState(null)
  const [error, setError] = useState(null)
  const [stopPoll, setStopPoll] = useState(null)
  useEffect(() => () => stopPoll && stopPoll(), [stopPoll])
  const [datasets, forms] = lists.data || [[], []]
  const names = source === 'dataset'
    ? datasets.map((d) => [d.name, d.label_zh ? `${d.label_zh}（${d.name}）` : d.name])
    : forms.map((f) => [f.form_id, `${f.title}（${f.form_id}）`])
  const chosen = names.some(([v]) => v === name) ? name : (names[0] || [''])[0]
  const start = async (e) => {
    e.preventDefault()
    setError(null)
    setJob(null)
    try {
      const accepted = await share.startExport({ source, name: chosen, format })
      setJob({ ...accepted, done: 0, total: null })
      setStopPoll(() => poll(() => share.exportState(accepted.id), (s, err) => err ? setError(err) : setJob(s)))
    } catch (err) { setError(err) }
  }
  const download = async () => {
    app.toast(S.downloading)
    try {
      const href = await app.api.blobUrl(job.download_url)
      const a = document.createElement('a')
      a.href = href
      a.download = `${job.name}.${job.format === 'geojson' ? 'geojson' : job.format}`
      document.body.appendChild(a)
      a.click()
      a.remove()
      app.toast('')
    } catch (err) { setError(err) }
  }
  return html`<div class="sharing">
    <div class="page-head"><h1>${S.exports}</h1></div>
    <p class="meta">${S.exportIntro}</p>
    <form class="panel filters" onSubmit=${start} aria-label=${S.exports}>
      <${Select} label=${S.source} value=${source} onChange=${setSource}
        options=${[['dataset', S.sourceDataset], ['form', S.sourceForm]]} />
      <${Select} label=${source === 'dataset' ? S.dataset : S.form} value=${chosen} onChange=${setName} options=${names} />
      <${Select} label=${S.format} value=${format} onChange=${setFormat} options=${FORMATS} />
      <div class="field"><button type="submit" class="btn primary" disabled=${!chosen}>${S.start}</button></div>
    </form>
    ${lists.error ? html`<p class="warn" role="alert">${errorText(lists.error)}</p>` : null}
    <section class="panel" aria-labelledby="export-progress-h" aria-live="polite">
      <h2 id="export-progress-h">${S.progress}</h2>
      ${job ? html`<${Progress} job=${job} label=${S.progress} />` : html`<p class="muted">—</p>`}
      ${job && job.status === 'failed' ? html`<p class="warn" role="alert">${job.error}</p>` : null}
      ${job && job.download_url ? html`<p><button type="button" class="btn primary" onClick=${download}>${S.download}</button></p>` : null}
      ${error ? html`<p class="warn" role="alert">${errorText(error)}</p>` : null}
    </section>
  </div>`
}
