// Log in with username and password; the token is kept for offline use. After expiry the
// same screen asks again, and nothing queued is touched.
import { html, useState } from '../ui.js'
import { T } from '../i18n.js'

export function LoginScreen ({ app, onDone, title = T.appName }) {
  const [username, setUsername] = useState(app.session.username)
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const submit = async (e) => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      const answer = await app.api.login(username.trim(), password)
      await app.session.save(username.trim(), answer)
      setPassword('')
      onDone()
    } catch (err) {
      setError(err.status === 0 ? T.offline + '：' + T.loadFailed + err.message : err.message)
    } finally {
      setBusy(false)
    }
  }
  return html`<form class="login" onSubmit=${submit}>
    <h1>${title}</h1>
    ${app.session.expired ? html`<p class="warn">${T.loginAgain}</p>` : null}
    <div class="q"><label class="q-label" for="login-user">${T.username}</label>
      <input id="login-user" autocomplete="username" autocapitalize="none" required value=${username}
        onInput=${(e) => setUsername(e.target.value)} /></div>
    <div class="q"><label class="q-label" for="login-pass">${T.password}</label>
      <input id="login-pass" type="password" autocomplete="current-password" required value=${password}
        onInput=${(e) => setPassword(e.target.value)} /></div>
    <div class="q-error" role="alert" aria-live="assertive">${error}</div>
    <button type="submit" class="btn primary" disabled=${busy}>${busy ? T.loggingIn : T.login}</button>
  </form>`
}
