// Drafts and submissions with their state (草稿/待发送/发送中/已发送/需处理) and the server's
// message; drafts and returned items can be opened, fixed and sent again, and a sent item can
// be reopened as an edit (修改后重新提交: a new draft whose deprecatedID is the sent one).
import { html, useState, useEffect } from '../ui.js'
import { T } from '../i18n.js'
import { uuid4 } from '../forms/expr.js'

const ORDER = { needs_attention: 0, draft: 1, queued: 2, sending: 3, sent: 4 }

function when (ms) {
  if (!ms) return ''
  const d = new Date(ms)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getMonth() + 1}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

export function OutboxScreen ({ app }) {
  const [items, setItems] = useState(null)
  const [busy, setBusy] = useState(false)
  const [lowSpace, setLowSpace] = useState(false)
  useEffect(() => {
    if (navigator.storage && navigator.storage.estimate) {
      navigator.storage.estimate().then((e) => setLowSpace(e.quota - e.usage < 50 * 1024 * 1024)).catch(() => {})
    }
  }, [])
  useEffect(() => {
    const load = () => app.outbox.list().then(setItems)
    load()
    const events = ['change', 'sent', 'needs-attention', 'retry-later', 'drained']
    events.forEach((t) => app.outbox.addEventListener(t, load))
    return () => events.forEach((t) => app.outbox.removeEventListener(t, load))
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
  // Room for later: a "需要修改" list of submissions returned by supervisors (fetched from the
  // server), shown above the outbox list; each would open as an edit like 修改后重新提交 below.
  return html`<section aria-labelledby="outbox-h">
    <div class="row"><h1 id="outbox-h">${T.outbox}</h1>
      <button type="button" class="btn primary" disabled=${busy || !waiting} onClick=${sendNow}>
        ${busy ? T.sending : T.sendNow}${waiting ? `（${waiting}）` : ''}</button></div>
    ${lowSpace ? html`<p class="warn" role="alert">${T.storageWarn}</p>` : null}
    ${items && !items.length ? html`<p>${T.empty}</p>` : null}
    <ul class="list" aria-live="polite">
      ${sorted.map((i) => html`<li key=${i.instanceID} class=${'item state-' + i.state}>
        <div class="card">
          <span class="card-title">${i.title || i.formId}${i.label ? ' · ' + i.label : ''}</span>
          <span class="card-sub"><span class=${'badge ' + i.state}>${T.states[i.state] || i.state}</span>
            ${' '}${when(i.sentAt || i.updatedAt)}${i.deprecatedID ? ' · ' + T.editOf : ''}
            ${i.state === 'sent' && replaced.has(i.instanceID) ? ' · ' + T.superseded : ''}</span>
          ${i.message ? html`<span class="msg">${i.message}</span>` : null}
          ${i.state === 'draft' || i.state === 'needs_attention' ? html`<span class="actions">
            <a class="btn secondary" href=${`#/form/${encodeURIComponent(i.formId)}/${i.instanceID}`}>${T.edit}</a>
            ${i.state === 'needs_attention' ? html`<button type="button" class="btn secondary"
              onClick=${() => app.outbox.enqueue(i.instanceID).then(() => app.flush(true))}>${T.retry}</button>` : null}
            <button type="button" class="btn danger" onClick=${() => discard(i.instanceID)}>${T.discard}</button>
          </span>` : null}
          ${i.state === 'sent' && !replaced.has(i.instanceID) ? html`<span class="actions">
            <button type="button" class="btn secondary" aria-label=${T.resubmitLabel(i.label || i.title || i.formId)}
              onClick=${() => resubmit(i)}>${T.resubmit}</button>
          </span>` : null}
        </div></li>`)}
    </ul>
  </section>`
}
