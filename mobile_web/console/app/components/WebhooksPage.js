// 数据推送: a department's (or, for admins, every department's) webhook endpoints: register one
// (its signing secret shown once), see deliveries per state, list the dead letters, replay one or
// all of them, stop an endpoint.
import { html, useState } from '../../../app/ui.js'
import { S, sharingApi } from '../sharing.js'
import { when } from '../strings.js'
import { Loading, errorText, useLoad } from './common.js'

function DeadLetters ({ app, sub, onChanged }) {
  const share = sharingApi(app.api)
  const state = useLoad(() => share.deadLetters(sub.id), [sub.id, sub.counts.dead])
  const [error, setError] = useState(null)
  const replay = async (deliveryId) => {
    setError(null)
    try {
      const r = deliveryId ? await share.replayOne(sub.id, deliveryId) : await share.replayAll(sub.id)
      app.toast(S.replayed(r.replayed))
      onChanged()
    } catch (e) { setError(e) }
  }
  const items = (state.data && state.data.items) || []
  return html`<section class="panel dead-letters" aria-labelledby=${`dead-h-${sub.id}`}>
    <div class="page-head"><h2 id=${`dead-h-${sub.id}`}>${S.deadLetters}：${sub.url}</h2>
      ${items.length && sub.active ? html`<button type="button" class="btn" onClick=${() => replay(null)}>${S.replayAll}</button>` : null}</div>
    <${Loading} state=${state}>
      ${items.length ? html`<table class="grid-table">
        <thead><tr><th scope="col">${S.event}</th><th scope="col">${S.dataset}</th><th scope="col">${S.attempts}</th>
          <th scope="col">${S.lastError}</th><th scope="col">${S.when}</th><th scope="col"><span class="visually-hidden">${S.replay}</span></th></tr></thead>
        <tbody>${items.map((d) => html`<tr data-delivery=${d.id}>
          <td>${S.kinds[d.kind] || d.kind}</td><td>${d.dataset}</td><td>${d.attempts}</td>
          <td><code>${d.last_error || ''}</code></td><td>${when(d.finished_at || d.created_at)}</td>
          <td>${sub.active ? html`<button type="button" class="btn small" aria-label=${`${S.replay} ${S.event} ${d.id}`}
            onClick=${() => replay(d.id)}>${S.replay}</button>` : null}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">${S.noDead}</p>`}
    <//>
    ${error ? html`<p class="warn" role="alert">${errorText(error)}</p>` : null}
  </section>`
}

export function WebhooksPage ({ app }) {
  const share = sharingApi(app.api)
  const admin = app.me && app.me.role === 'admin'
  const subs = useLoad(() => share.webhooks())
  const [url, setUrl] = useState('')
  const [description, setDescription] = useState('')
  const [account, setAccount] = useState('')
  const [secret, setSecret] = useState(null)
  const [open, setOpen] = useState(null)
  const [error, setError] = useState(null)
  const register = async (e) => {
    e.preventDefault()
    setError(null)
    try {
      const created = await share.addWebhook({ url, description, ...(admin ? { account } : {}) })
      setSecret({ url: created.url, secret: created.secret })
      setUrl('')
      setDescription('')
      subs.reload()
    } catch (err) { setError(err) }
  }
  const stop = async (sub) => {
    try { await share.stopWebhook(sub.id); app.toast(S.stopped); subs.reload() } catch (err) { setError(err) }
  }
  const items = (subs.data && subs.data.items) || []
  const shown = items.find((s) => s.id === open)
  return html`<div class="sharing">
    <div class="page-head"><h1>${S.webhooks}</h1></div>
    <p class="meta">${S.webhookIntro}</p>
    <form class="panel filters" onSubmit=${register} aria-label=${S.register}>
      <div class="field wide"><label for="hook-url">${S.url}</label>
        <input id="hook-url" type="url" required value=${url} onInput=${(e) => setUrl(e.target.value)} /></div>
      <div class="field"><label for="hook-desc">${S.description}</label>
        <input id="hook-desc" value=${description} onInput=${(e) => setDescription(e.target.value)} /></div>
      ${admin ? html`<div class="field"><label for="hook-account">${S.account}</label>
        <input id="hook-account" required value=${account} onInput=${(e) => setAccount(e.target.value)} /></div>` : null}
      <div class="field"><button type="submit" class="btn primary">${S.register}</button></div>
    </form>
    ${error ? html`<p class="warn" role="alert">${errorText(error)}</p>` : null}
    ${secret ? html`<div class="panel secret-once" role="alert"><p>${S.secretOnce}</p>
      <p><code class="secret">${secret.secret}</code></p><p class="muted">${secret.url}</p></div>` : null}
    <section class="panel" aria-labelledby="subs-h">
      <h2 id="subs-h">${S.subscriptions}</h2>
      <${Loading} state=${subs}>
        ${items.length ? html`<table class="grid-table webhooks-table">
          <thead><tr><th scope="col">${S.url}</th><th scope="col">${S.account}</th><th scope="col">${S.active}</th>
            <th scope="col">${S.pending}</th><th scope="col">${S.delivered}</th><th scope="col">${S.dead}</th>
            <th scope="col"><span class="visually-hidden">${S.show}</span></th></tr></thead>
          <tbody>${items.map((s) => html`<tr data-webhook=${s.id}>
            <td><code>${s.url}</code>${s.description ? html`<div class="hint">${s.description}</div>` : null}</td>
            <td>${s.account}</td><td>${s.active ? S.on : S.off}</td>
            <td>${s.counts.pending}</td><td>${s.counts.delivered}</td><td data-dead>${s.counts.dead}</td>
            <td class="actions"><button type="button" class="btn small" aria-expanded=${open === s.id ? 'true' : 'false'}
                aria-label=${`${S.show} ${s.url}`} onClick=${() => setOpen(open === s.id ? null : s.id)}>${S.show}</button>
              ${s.active ? html` <button type="button" class="btn small secondary" aria-label=${`${S.stop} ${s.url}`}
                onClick=${() => stop(s)}>${S.stop}</button>` : null}</td></tr>`)}</tbody></table>`
          : html`<p class="muted">${S.noSubs}</p>`}
      <//>
    </section>
    ${shown ? html`<${DeadLetters} app=${app} sub=${shown} onChanged=${() => subs.reload()} />` : null}
  </div>`
}
