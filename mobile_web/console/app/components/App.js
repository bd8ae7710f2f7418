// The console's shell: login (the phone client's screen, same token API), a role gate, the main
// menu, hash routes and a status line announced to screen readers.
import { html, useEffect, useState } from '../../../app/ui.js'
import { T } from '../../../app/i18n.js'
import { LoginScreen } from '../../../app/components/LoginScreen.js'
import { C } from '../strings.js'
import { QueuePage } from './QueuePage.js'
import { SubmissionPage } from './SubmissionPage.js'
import { DuplicatesPage } from './DuplicatesPage.js'
import { ConflictsPage } from './ConflictsPage.js'
import { MovesPage } from './MovesPage.js'
import { PersonPage, PeoplePage } from './PersonPage.js'
import { FormsPage } from './FormsPage.js'
import { FormDesignPage } from './FormDesignPage.js'
import { D } from '../designer_strings.js'
import { CasesPage, NewCasePage } from './CasesPage.js'
import { CasePage } from './CasePage.js'
import { ReportPage } from './ReportPage.js'
import { OverviewPage } from './OverviewPage.js'
import { K } from '../case_strings.js'
import { R } from '../report_strings.js'
import { ADMIN_MENU, adminBody } from './Admin.js'
import { S } from '../sharing.js'
import { ExportsPage } from './ExportsPage.js'
import { ImportsPage } from './ImportsPage.js'
import { WebhooksPage } from './WebhooksPage.js'

export const CONSOLE_ROLES = new Set(['supervisor', 'admin', 'form_designer', 'department'])

const REVIEW_MENU = [['queue', C.queue], ['duplicates', C.duplicates], ['conflicts', C.conflicts], ['moves', C.moves], ['people', C.people]]
const LEAD_MENU = [['cases', K.cases], ['report', R.report], ['overview', R.overview]]
/** The sections each role sees: supervisors review and lead, form designers design forms, admins do all; departments work their cases. */
export const MENUS = {
  supervisor: [...REVIEW_MENU, ...LEAD_MENU, ['exports', S.exports]],
  admin: [...REVIEW_MENU, ...LEAD_MENU, ['forms', D.forms], ['exports', S.exports], ['imports', S.imports], ['webhooks', S.webhooks], ...ADMIN_MENU],
  form_designer: [['forms', D.forms]],
  department: [['cases', K.deptCases], ['webhooks', S.webhooks], ['exports', S.exports]]
}

/** '#/submission/uuid:1' -> ['submission', 'uuid:1']. */
export const parseHash = (hash) => (hash || '').replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent)

function useHash (app) {
  const [hash, setHash] = useState(location.hash)
  useEffect(() => {
    const on = () => { setHash(location.hash); window.scrollTo(0, 0); app.toast('') }
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return parseHash(hash)
}

export function App ({ app }) {
  const route = useHash(app)
  const [me, setMe] = useState(null)
  const [needLogin, setNeedLogin] = useState(!app.session.token())
  const [status, setStatus] = useState('')
  app.toast = (msg) => { setStatus(msg); if (msg) setTimeout(() => setStatus((s) => (s === msg ? '' : s)), 6000) }
  app.loginAgain = () => setNeedLogin(true)
  useEffect(() => {
    if (needLogin) return
    app.api.me().then((m) => { app.me = m; setMe(m) }).catch((e) => {
      if (e.status === 401) setNeedLogin(true)
      else setStatus(C.loading + e.message)
    })
  }, [needLogin])
  const logout = async () => {
    await app.api.logout().catch(() => {})
    await app.session.clear()
    app.me = null
    setMe(null)
    setNeedLogin(true)
  }
  if (needLogin) {
    return html`<main id="main" class="login-page">
      <${LoginScreen} app=${app} title=${C.appName} onDone=${() => setNeedLogin(false)} /></main>`
  }
  if (!me) return html`<main id="main"><p class="boot" role="status">${C.loading}</p></main>`
  if (!CONSOLE_ROLES.has(me.role)) {
    return html`<main id="main" class="login-page"><div class="login">
      <h1>${C.appName}</h1>
      <p class="warn" role="alert">${C.notForRole}</p>
      <p class="actions"><a class="btn" href="/m/">${C.openPhone}</a>
        <button type="button" class="btn secondary" onClick=${logout}>${T.logout}</button></p></div></main>`
  }
  const menu = MENUS[me.role]
  const [page, a, b] = route
  const allowed = (key) => menu.some(([k]) => k === key) || (key === 'submission' && menu.some(([k]) => k === 'queue')) ||
    (key === 'person' && menu.some(([k]) => k === 'people')) || (key === 'case' && menu.some(([k]) => k === 'cases'))
  const current = page && allowed(page) ? page : menu[0][0]
  let body
  if (current === 'forms' && a) body = html`<${FormDesignPage} app=${app} formId=${a} key=${a} />`
  else if (current === 'forms') body = html`<${FormsPage} app=${app} />`
  else if (current === 'submission' && a) body = html`<${SubmissionPage} app=${app} id=${a} key=${a} />`
  else if (current === 'duplicates') body = html`<${DuplicatesPage} app=${app} />`
  else if (current === 'conflicts') body = html`<${ConflictsPage} app=${app} />`
  else if (current === 'moves') body = html`<${MovesPage} app=${app} />`
  else if (current === 'person' && a && b) body = html`<${PersonPage} app=${app} dataset=${a} uuid=${b} key=${a + b} />`
  else if (current === 'people') body = html`<${PeoplePage} app=${app} />`
  else if (current === 'cases' && a === 'new' && me.role !== 'department') body = html`<${NewCasePage} app=${app} />`
  else if (current === 'cases') body = html`<${CasesPage} app=${app} />`
  else if (current === 'case' && a) body = html`<${CasePage} app=${app} id=${a} key=${a} />`
  else if (current === 'report') body = html`<${ReportPage} app=${app} />`
  else if (current === 'overview') body = html`<${OverviewPage} app=${app} unit=${a} key=${a || ''} />`
  else if (current === 'exports') body = html`<${ExportsPage} app=${app} />`
  else if (current === 'imports') body = html`<${ImportsPage} app=${app} />`
  else if (current === 'webhooks') body = html`<${WebhooksPage} app=${app} />`
  else body = adminBody(app, current, a) || html`<${QueuePage} app=${app} />`
  const section = { submission: 'queue', person: 'people', case: 'cases' }[current] || current
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus() }}>跳到正文</a>
    <header class="top">
      <span class="brand">${C.appName}</span>
      <nav class="menu" aria-label=${C.mainNav}>
        ${menu.map(([key, label]) => html`<a href=${'#/' + key} aria-current=${section === key ? 'page' : undefined}>${label}</a>`)}
      </nav>
      <span class="who">${me.display_name || me.username}</span>
      <button type="button" class="btn small inverse" onClick=${logout}>${T.logout}</button>
    </header>
    <main id="main" tabindex="-1">${body}</main>
    <div class="toast" role="status" aria-live="polite">${status}</div>`
}
