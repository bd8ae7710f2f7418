// Uploading a workbook: a labelled drop zone that also holds a file input (keyboard and mouse
// users choose the file; a dragged file is dropped on the zone), and the list of every problem
// the server located, by sheet, row and column, with the cell's content.
import { html, useRef, useState } from '../../../app/ui.js'
import { D, PROBLEM } from '../designer_strings.js'
import { errorText } from './common.js'

let seq = 0

/** onUploaded(result) after a stored draft; problems stay on screen until the next upload. */
export function UploadZone ({ app, onUploaded, label = D.upload }) {
  const [own] = useState(() => `wb-${++seq}`)
  const [over, setOver] = useState(false)
  const [busy, setBusy] = useState('')
  const [failure, setFailure] = useState(null) // {name, problems, error}
  const input = useRef(null)
  const send = async (file) => {
    if (!file) return
    setBusy(D.uploading(file.name))
    setFailure(null)
    try {
      const result = await app.api.uploadForm(file)
      setBusy('')
      app.toast(result.state === 'draft' ? D.uploaded(result.form_id, result.version) : D.unchanged(result.form_id, result.version))
      onUploaded(result)
    } catch (e) {
      setBusy('')
      const problems = (e.errors && e.errors.workbook) || null
      setFailure({ name: file.name, problems, error: problems ? null : e })
    } finally {
      if (input.current) input.current.value = ''
    }
  }
  const drop = (e) => {
    e.preventDefault()
    setOver(false)
    send(e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0])
  }
  return html`<section class="panel upload" aria-labelledby=${own + '-h'}>
    <h2 id=${own + '-h'}>${label}</h2>
    <div class=${'dropzone' + (over ? ' over' : '')} role="group" aria-label=${D.dropZone}
      onDragOver=${(e) => { e.preventDefault(); setOver(true) }} onDragLeave=${() => setOver(false)} onDrop=${drop}>
      <span>${D.drop}</span>
      <label class="btn primary file-btn" for=${own}>${D.chooseFile}</label>
      <input ref=${input} id=${own} class="visually-hidden" type="file" accept=".xlsx,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        onChange=${(e) => send(e.target.files[0])} />
    </div>
    <div role="status" aria-live="polite" class="muted">${busy}</div>
    ${failure && failure.error ? html`<p class="warn" role="alert">${errorText(failure.error)}</p>` : null}
    ${failure && failure.problems ? html`<${ProblemList} name=${failure.name} problems=${failure.problems} />` : null}
  </section>`
}

/** Every located problem of a refused workbook. */
export function ProblemList ({ name, problems }) {
  return html`<div class="workbook-problems">
    <p class="warn" role="alert">${D.problems(problems.length, name)}</p>
    <table class="grid-table problem-table">
      <caption class="visually-hidden">${D.problems(problems.length, name)}</caption>
      <thead><tr><th scope="col">${D.sheet}</th><th scope="col">${D.row}</th><th scope="col">${D.column}</th>
        <th scope="col">${D.cell}</th><th scope="col">${D.problem}</th></tr></thead>
      <tbody>${problems.map((p) => html`<tr data-code=${p.code}>
        <td>${p.sheet || D.wholeFile}</td><td>${p.row || '—'}</td><td>${p.column || '—'}</td>
        <td>${p.value ? html`<code class="cell">${p.value}</code>` : '—'}</td>
        <td><strong>${PROBLEM[p.code] || p.code}</strong><div class="hint" lang="en">${p.message}</div></td>
      </tr>`)}</tbody>
    </table>
  </div>`
}
