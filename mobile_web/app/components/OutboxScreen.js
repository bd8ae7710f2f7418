// 需要修改: submissions a supervisor returned, with the reviewer's comment and date, each opened
// as a correction (a draft replacing it). Below, drafts and submissions with their state
// (草稿/待发送/发送中/已发送/需处理) and the server's message; drafts and items the server refused
// can be opened, fixed and sent again, and a sent item can be reopened as an edit (修改后重新提交:
// a new draft whose deprecatedID is the sent one).
import { html, useState, useEffect } from '../ui.js'
import { T, shortTime as when } from '../i18n.js'
import { uuid4 } from '../forms/expr.js'

const ORDER = { needs_attention: 0, draft: 1, queued: 2, sending: 3, sent: 4 }
const WAITING = new Set(['queued', 'sending'])

/** The form's title from the cached form list, else its id. */
function formTitle (app, formId) {
  const f = (app.forms.listed || []).find((x) => x.form_id === formId)
  return (f && f.title) || formId
}

/** The record's name (meta/instanceName) in the server's answers, with or without the root element. */
function recordName (data) {
  const top = data || {}
  const body = top.meta ? top : (Object.values(top).find((v) => v && typeof v === 'object' && v.meta) || {})
  return (body.meta && body.meta.instanceName) || ''
}

function ReturnedSection ({ app, entries }) {
  if (!entries.length) return null
  const correct = async (r, title) => {
    try {
      const def = await app.forms.definition(r.formId, r.formVersion).catch(() => null)
      const draft = await app.returned.open(r.instanceID, uuid4(), { root: (def && def.root) || 'data', title })
      location.hash = `#/form/${encodeURIComponent(draft.formId)}/${draft.instanceID}`
    } catch (e) {
      app.toast(T.editFailed + e.message)
    }
  }
  return html`<section class="returned" aria-labelledby="returned-h">
    <h2 id="returned-h">${T.returnedTitle}（${entries.length}）</h2>
    <p class="hint">${T.returnedHint}</p>
    <ul class="list">
      ${entries.map((r) => {
        const title = formTitle(app, r.formId)
        const name = recordName(r.data)
        const fixing = r.correction && !WAITING.has(r.correction.state)
        return html`<li key=${r.instanceID} class="item state-returned" data-instance=${r.instanceID}>
          <div class="card">
            <span class="card-title">${title}${name ? ' · ' + name : ''}</span>
            <span class="card-sub"><span class="badge returned">${T.returnedBadge}</span>
              ${' '}${T.returnedAt(when(r.commentAt || r.receivedAt))}${r.commentBy ? ' · ' + T.reviewBy(r.commentBy) : ''}</span>
            <p class="review-comment"><strong>${T.reviewComment}：</strong>${r.comment || ''}</p>
            ${r.correction && WAITING.has(r.correction.state)
              ? html`<span class="msg">${T.correctionQueued}</span>`
              : html`<span class="actions">
                <button type="button" class="btn primary"
                  aria-label=${(fixing ? T.continueCorrectionLabel : T.correctLabel)(name || title)}
                  onClick=${() => correct(r, title)}>${fixing ? T.continueCorrection : T.correct}</button></span>`}
          </div></li>`
      })}
    </ul>
  </section>`
}

export function OutboxScreen ({ app }) {
  const [items, setItems] = useState(null)
  const [returned, setReturned] = useState([])
  const [busy, setBusy] = useState(false)
  const [lowSpace, setLowSpace] = useState(false)
  useEffect(() => {
    if (navigator.storage && navigator.storage.estimate) {
      navigator.storage.estimate().then((e) => setLowSpace(e.quota - e.usage < 50 * 1024 * 1024)).catch(() => {})
    }
  }, [])
  useEffect(() => {
    const load = () => {
      app.outbox.list().then(setItems)
      app.returned.list().then(setReturned).catch(() => {})
    }
    load()
    app.refreshReturned()
    const events = ['change', 'sent', 'needs-attention', 'retry-later', 'drained']
    events.forEach((t) => app.outbox.addEventListener(t, load))
    app.returned.addEventListener('change', load)
    return () => {
      events.forEach((t) => app.outbox.removeEventListener(t, load))
      app.returned.removeEventListener('change', load)
    }
  }, [])
  const sendNow = async () => {
    setBusy(true)
    try { await app.flush(true) } finally { setBusy(false) }
  }
  const resubmit = async (item) => {
    try {
      const edit = await app.outbox.startEdit(item.instanceID, uuid4())
      location.hash = `#/form/${encodeURIComponent(edit.formId)}/${edit.instanceID}`
    } catch (e) {
      app.toast(T.editFailed + e.message)
    }
  }
  const discard = async (id) => {
    if (window.confirm(T.confirmDiscard)) await app.outbox.discard(id)
  }
  const sorted = (items || []).slice().sort((a, b) => (ORDER[a.state] - ORDER[b.state]) || (b.updatedAt - a.updatedAt))
  const replaced = new Set(sorted.map((i) => i.deprecatedID).filter(Boolean))
  const waiting = sorted.filter((i) => i.state === 'queued' || i.state === 'sending').length
  const sentBack = new Set(returned.map((r) => r.instanceID))
  return html`<section aria-labelledby="outbox-h">
    <div class="row"><h1 id="outbox-h">${T.outbox}</h1>
      <button type="button" class="btn primary" disabled=${busy || !waiting} onClick=${sendNow}>
        ${busy ? T.sending : T.sendNow}${waiting ? `（${waiting}）` : ''}</button></div>
    ${lowSpace ? html`<p class="warn" role="alert">${T.storageWarn}</p>` : null}
    <${ReturnedSection} app=${app} entries=${returned} />
    ${items && !items.length && !returned.length ? html`<p>${T.empty}</p>` : null}
    <ul class="list" aria-live="polite">
      ${sorted.map((i) => html`<li key=${i.instanceID} class=${'item state-' + i.state}>
        <div class="card">
          <span class="card-title">${i.title || i.formId}${i.label ? ' · ' + i.label : ''}</span>
          <span class="card-sub"><span class=${'badge ' + i.state}>${T.states[i.state] || i.state}</span>
            ${' '}${when(i.sentAt || i.updatedAt)}${i.deprecatedID ? ' · ' + T.editOf : ''}
            ${i.state === 'sent' && replaced.has(i.instanceID) ? ' · ' + T.superseded : ''}
            ${i.state === 'sent' && sentBack.has(i.instanceID) ? ' · ' + T.returnedMark : ''}</span>
          ${i.message ? html`<span class="msg">${i.message}</span>` : null}
          ${i.state === 'draft' || i.state === 'needs_attention' ? html`<span class="actions">
            <a class="btn secondary" href=${`#/form/${encodeURIComponent(i.formId)}/${i.instanceID}`}>${T.edit}</a>
            ${i.state === 'needs_attention' ? html`<button type="button" class="btn secondary"
              onClick=${() => app.outbox.enqueue(i.instanceID).then(() => app.flush(true))}>${T.retry}</button>` : null}
            <button type="button" class="btn danger" onClick=${() => discard(i.instanceID)}>${T.discard}</button>
          </span>` : null}
          ${i.state === 'sent' && !replaced.has(i.instanceID) && !sentBack.has(i.instanceID) ? html`<span class="actions">
            <button type="button" class="btn secondary" aria-label=${T.resubmitLabel(i.label || i.title || i.formId)}
              onClick=${() => resubmit(i)}>${T.resubmit}</button>
          </span>` : null}
        </div></li>`)}
    </ul>
  </section>`
}
