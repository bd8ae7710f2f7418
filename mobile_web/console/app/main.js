// Boot the console: the session (token kept apart from the phone client's), the API, the shell.
import { html, render } from '../../app/ui.js'
import { Session } from '../../app/session.js'
import { memStore } from '../../app/memstore.js'
import { createConsoleApi } from './console_api.js'
import { App } from './components/App.js'

/** localStorage under the console's own keys: a supervisor may also use /m/ in the same browser. */
const consoleStorage = {
  getItem: (k) => localStorage.getItem('console.' + k),
  setItem: (k, v) => localStorage.setItem('console.' + k, v)
}

async function loadConfig () {
  try {
    const res = await fetch('config.json', { headers: { Accept: 'application/json' } })
    if (res.ok) return await res.json()
  } catch (e) { /* offline: no tiles */ }
  return { tile_url: null, tile_crs: 'wgs84' }
}

export async function boot (root = document.getElementById('app')) {
  const session = await new Session(memStore(), { storage: consoleStorage }).load()
  const app = { api: null, session, config: await loadConfig(), me: null, toast: () => {}, loginAgain: () => {} }
  app.api = createConsoleApi({ getToken: () => session.token(), onUnauthorized: () => app.loginAgain() })
  root.textContent = ''
  render(html`<${App} app=${app} />`, root)
  return app
}

boot()
