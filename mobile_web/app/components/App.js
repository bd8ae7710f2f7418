// The shell: header with connection state and navigation, hash routes, login when needed,
// and a toast line announced to screen readers. The session decides the login screen and the
// log-in-again banner (a 401 from the server, a logout or another user logging in).
import { html, useState, useEffect } from '../ui.js'
import { T } from '../i18n.js'
import { LoginScreen } from './LoginScreen.js'
import { FormList } from './FormList.js'
import { FormScreen } from './FormScreen.js'
import { OutboxScreen } from './OutboxScreen.js'

/** '#/form/reg/uuid' -> ['form', 'reg', 'uuid']. */
export function parseHash (hash) {
  return (hash || '').replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent)
}

function useHash () {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const on = () => setHash(location.hash)
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return parseHash(hash)
}

export function App ({ app }) {
  const route = useHash()
  const [online, setOnline] = useState(navigator.onLine)
  const [toast, setToast] = useState('')
  const [needLogin, setNeedLogin] = useState(!app.session.known)
  const [authBanner, setAuthBanner] = useState(app.session.expired)
  const [pending, setPending] = useState(0)
  useEffect(() => {
    const on = () => setOnline(navigator.onLine)
    addEventListener('online', on)
    addEventListener('offline', on)
    const auth = () => (app.session.known ? setAuthBanner(true) : setNeedLogin(true))
    const count = () => app.outbox.pending().then((p) => setPending(p.length))
    const session = () => {
      setNeedLogin(!app.session.known)
      setAuthBanner(app.session.expired)
      count()
    }
    app.outbox.addEventListener('auth-required', auth)
    app.session.addEventListener('change', session)
    ;['change', 'sent', 'drained'].forEach((t) => app.outbox.addEventListener(t, count))
    app.toast = (msg) => { setToast(msg); setTimeout(() => setToast(''), 5000) }
    count()
    return () => {
      removeEventListener('online', on)
      removeEventListener('offline', on)
      app.session.removeEventListener('change', session)
    }
  }, [])
  const [page, a, b] = route
  let body
  if (needLogin || page === 'login') {
    body = html`<${LoginScreen} app=${app} onDone=${() => { setNeedLogin(false); setAuthBanner(false); app.flush(true); if (page === 'login') location.hash = '#/forms' }} />`
  } else if (page === 'form' && a) body = html`<${FormScreen} app=${app} formId=${a} instanceID=${b} key=${a + '/' + (b || '')} />`
  else if (page === 'outbox') body = html`<${OutboxScreen} app=${app} />`
  else body = html`<${FormList} app=${app} />`
  return html`
    <header class="top">
      <span class="brand">${T.appName}</span>
      <span class=${'net ' + (online ? 'on' : 'off')} role="status">${online ? T.online : T.offline}</span>
    </header>
    ${authBanner && !needLogin && page !== 'login' ? html`<p class="banner" role="alert">${T.loginAgain}
      <a class="btn small" href="#/login">${T.login}</a></p>` : null}
    <nav class="tabs" aria-label="主菜单">
      <a href="#/forms" aria-current=${page !== 'outbox' ? 'page' : undefined}>${T.forms}</a>
      <a href="#/outbox" aria-current=${page === 'outbox' ? 'page' : undefined}>${T.outbox}${pending ? `（${pending}）` : ''}</a>
    </nav>
    <main id="main">${body}</main>
    <div class="toast" role="status" aria-live="polite">${toast}</div>`
}
