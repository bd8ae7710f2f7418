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
  const [returned, setReturned] = useState(0) // submissions returned for correction, not yet corrected
  useEffect(() => {
    const on = () => setOnline(navigator.onLine)
    const auth = () => (app.session.known ? setAuthBanner(true) : setNeedLogin(true))
    const count = () => {
      app.outbox.pending().then((p) => setPending(p.length))
      app.returned.count().then(setReturned).catch(() => {})
    }
    const session = () => {
      setNeedLogin(!app.session.known)
      setAuthBanner(app.session.expired)
      count()
    }
    // Every listener added here is removed on unmount: [target, event, handler].
    const listeners = [
      [globalThis, 'online', on], [globalThis, 'offline', on],
      [app.outbox, 'auth-required', auth], [app.session, 'change', session],
      [app.outbox, 'change', count], [app.outbox, 'sent', count], [app.outbox, 'drained', count],
      [app.returned, 'change', count]
    ]
    listeners.forEach(([target, type, fn]) => target.addEventListener(type, fn))
    app.toast = (msg) => { setToast(msg); setTimeout(() => setToast(''), 5000) }
    count()
    return () => listeners.forEach(([target, type, fn]) => target.removeEventListener(type, fn))
  }, [])
  const [page, a, b] = route
  let body
  if (needLogin || page === 'login') {
    body = html`<${LoginScreen} app=${app} onDone=${() => { setNeedLogin(false); setAuthBanner(false); app.flush(true); app.refreshReturned(); if (page === 'login') location.hash = '#/forms' }} />`
  } else if (page === 'form' && a) body = html`<${FormScreen} app=${app} formId=${a} instanceID=${b} key=${a + '/' + (b || '')} />`
  else if (page === 'outbox') body = html`<${OutboxScreen} app=${app} />`
  else body = html`<${FormList} app=${app} returned=${returned} />`
  return html`
    <header class="top">
      <span class="brand">${T.appName}</span>
      <span class=${'net ' + (online ? 'on' : 'off')} role="status">${online ? T.online : T.offline}</span>
    </header>
    ${authBanner && !needLogin && page !== 'login' ? html`<p class="banner" role="alert">${T.loginAgain}
      <a class="btn small" href="#/login">${T.login}</a></p>` : null}
    <nav class="tabs" aria-label="主菜单">
      <a href="#/forms" aria-current=${page !== 'outbox' ? 'page' : undefined}>${T.forms}</a>
      <a href="#/outbox" aria-current=${page === 'outbox' ? 'page' : undefined}>${T.outbox}${pending ? `（${pending}）` : ''}${returned
        ? html` <span class="count returned">${T.returnedCount(returned)}</span>` : null}</a>
    </nav>
    <main id="main">${body}</main>
    <div class="toast" role="status" aria-live="polite">${toast}</div>`
}
