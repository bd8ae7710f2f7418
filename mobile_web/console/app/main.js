// Boot the console: the session (token kept apart from the phone client's), the API, the shell.
import { html, render } from '../../app/ui.js'
import { ConsoleSession } from './session.js'
import { createConsoleApi } from './console_api.js'
import { App } from './components/App.js'

async function loadConfig () {
  try {
    const res = await fetch('config.json', { headers: { Accept: 'application/json' } })
    if (res.ok) return await res.json()
  } catch (e) { /* offline: no tiles */ }
  return { tile_url: null, tile_crs: 'wgs84' }
}

export async function boot (root = document.getElementById('app')) {
  const session = new ConsoleSession()
  const app = { api: null, session, config: await loadConfig(), me: null, toast: () => {}, loginAgain: () => {} }
  app.api = createConsoleApi({ getToken: () => session.token(), onUnauthorized: () => session.expire().then(() => app.loginAgain()) })
  root.textContent = ''
  render(html`<${App} app=${app} />`, root)
  return app
}

boot()
