// What an admin does to an existing account besides editing it: disable or re-enable it, reset
// its password (a generated one is shown once), and a department's long-lived API tokens (each
// secret shown once, at issue; the list shows labels and dates only).
import { html, useEffect, useRef, useState } from '../../../app/ui.js'
import { A } from '../admin_strings.js'
import { when } from '../strings.js'
import { Loading, Outcome, useLoad } from './common.js'

/** A secret shown once, with a copy button. */
function Secret ({ id, title, value }) {
  const [copied, setCopied] = useState(false)
  const copy = () => navigator.clipboard.writeText(value).then(() => setCopied(true)).catch(() => {})
  return html`<div class="secret" role="status">
    <p id=${id}>${title}</p>
    <p class="secret-row"><code class="secret-value" aria-labelledby=${id}>${value}</code>
      <button type="button" class="btn small" onClick=${copy}>${copied ? A.copied : A.copy}</button></p>
  </div>`
}

function useAct () {
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const act = async (fn) => {
    setBusy(true)
    setError(null)
    try { return await fn() } catch (e) { setError(e); return undefined } finally { setBusy(false) }
  }
  return { error, busy, act }
}

function ActiveState ({ app, user, onChanged }) {
  const [asking, setAsking] = useState(false)
  const { error, busy, act } = useAct()
  const yes = useRef(null)
  useEffect(() => { if (asking && yes.current) yes.current.focus() }, [asking])
  const set = (active) => act(async () => {
    const saved = await app.api.updateUser(user.username, { is_active: active })
    setAsking(false)
    app.toast(active ? A.enabled(user.username) : A.disabled(user.username))
    onChanged(saved)
  })
  return html`<section class="panel" aria-labelledby="state-h">
    <h2 id="state-h">${A.state}：${user.is_active ? A.active : A.inactive}</h2>
    ${!user.is_active ? html`<button type="button" class="btn" disabled=${busy} onClick=${() => set(true)}>${A.enable}</button>`
      : asking ? html`<div class="confirm" role="alertdialog" aria-labelledby="disable-q">
          <p id="disable-q">${A.confirmDisable(user.username)}</p>
          <div class="actions"><button type="button" class="btn danger" ref=${yes} disabled=${busy} onClick=${() => set(false)}>${A.disable}</button>
            <button type="button" class="btn secondary" onClick=${() => setAsking(false)}>${A.cancel}</button></div></div>`
      : html`<button type="button" class="btn danger" onClick=${() => setAsking(true)}>${A.disable}</button>`}
    <${Outcome} error=${error} />
  </section>`
}

function PasswordReset ({ app, user }) {
  const [password, setPassword] = useState('')
  const [generated, setGenerated] = useState(null)
  const [done, setDone] = useState('')
  const { error, busy, act } = useAct()
  const reset = (e) => {
    e.preventDefault()
    setGenerated(null)
    setDone('')
    act(async () => {
      const res = await app.api.resetPassword(user.username, password || null)
      setPassword('')
      setGenerated(res.password)
      setDone(A.resetDone)
    })
  }
  return html`<form class="panel" aria-labelledby="pw-h" onSubmit=${reset}>
    <h2 id="pw-h">${A.resetPassword}</h2>
    <div class="field"><label for="new-password">${A.newPassword}</label>
      <input id="new-password" type="password" autocomplete="new-password" value=${password} aria-describedby="pw-hint"
        onInput=${(e) => setPassword(e.target.value)} />
      <p class="hint" id="pw-hint">${A.resetHint}</p></div>
    <div class="actions"><button type="submit" class="btn" disabled=${busy}>${A.resetPassword}</button></div>
    ${generated ? html`<${Secret} id="generated-pw" title=${A.generated} value=${generated} />` : null}
    <${Outcome} error=${error} done=${done} />
  </form>`
}

function Tokens ({ app, user }) {
  const list = useLoad(() => app.api.tokens(user.username), [user.username])
  const [label, setLabel] = useState('')
  const [issued, setIssued] = useState(null)
  const { error, busy, act } = useAct()
  const issue = (e) => {
    e.preventDefault()
    act(async () => {
      const res = await app.api.issueToken(user.username, label)
      setIssued(res.access_token)
      setLabel('')
      list.reload()
    })
  }
  const revoke = (t) => { if (confirm(A.confirmRevoke(t.label))) act(async () => { await app.api.revokeToken(user.username, t.id); app.toast(A.revoked); list.reload() }) }
  return html`<section class="panel" aria-labelledby="tokens-h">
    <h2 id="tokens-h">${A.tokens}</h2>
    <p class="hint">${A.tokensHint}</p>
    <${Loading} state=${list}>
      ${(list.data || []).length ? html`<table class="grid-table">
        <thead><tr><th scope="col">${A.tokenName}</th><th scope="col">${A.issuedAt}</th><th scope="col">${A.expiresAt}</th>
          <th scope="col">${A.tokenState}</th></tr></thead>
        <tbody>${list.data.map((t) => html`<tr key=${t.id}><td>${t.label}</td><td>${when(t.created_at)}</td><td>${when(t.expires_at)}</td>
          <td>${t.revoked_at ? html`${A.revoked} ${when(t.revoked_at)}` : html`${A.valid}
            <button type="button" class="btn small danger" disabled=${busy} aria-label=${`${A.revoke} ${t.label}`} onClick=${() => revoke(t)}>${A.revoke}</button>`}</td></tr>`)}</tbody>
      </table>` : html`<p class="muted">${A.noTokens}</p>`}
    <//>
    <form onSubmit=${issue}>
      <div class="field"><label for="token-label">${A.tokenLabel}</label>
        <input id="token-label" required value=${label} onInput=${(e) => setLabel(e.target.value)} /></div>
      <div class="actions"><button type="submit" class="btn" disabled=${busy || !label.trim()}>${A.issueToken}</button></div>
    </form>
    ${issued ? html`<${Secret} id="issued-token" title=${A.issued} value=${issued} />` : null}
    <${Outcome} error=${error} />
  </section>`
}

export function AccountActions ({ app, user, onChanged }) {
  return html`<div class="account-actions">
    <${ActiveState} app=${app} user=${user} onChanged=${onChanged} />
    <${PasswordReset} app=${app} user=${user} />
    ${user.role === 'department' ? html`<${Tokens} app=${app} user=${user} />` : null}
  </div>`
}
