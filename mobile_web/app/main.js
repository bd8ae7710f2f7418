// Boot: open storage, load the session, wire the outbox to the API, register the service
// worker, and flush the outbox on load, when the phone comes online, every 60 s and on demand.
import { html, render } from './ui.js'
import { openDb, idbStore, persistStorage } from './idb.js'
import { memStore } from './memstore.js'
import { Outbox } from './outbox.js'
import { createApi } from './api.js'
import { Session } from './session.js'
import { FormsRepo } from './forms_repo.js'
import { EntityLists } from './entities.js'
import { App } from './components/App.js'

const FLUSH_EVERY_MS = 60000

async function stores () {
  try {
    const db = await openDb()
    return { outbox: idbStore(db, 'outbox'), kv: idbStore(db, 'kv') }
  } catch (e) {
    console.warn('IndexedDB unavailable, data will not survive a reload', e)
    return { outbox: memStore('instanceID'), kv: memStore() }
  }
}

export async function boot (root = document.getElementById('app')) {
  const { outbox: outboxStore, kv } = await stores()
  const session = await new Session(kv).load()
  const api = createApi({ getToken: () => session.token() })
  const outbox = new Outbox(outboxStore)
  const app = {
    api,
    session,
    outbox,
    entities: new EntityLists(api, kv),
    forms: null,
    toast: () => {},
    /** Send what is queued; force skips backoff (button, coming online). */
    flush (force = false) {
      if (!session.token()) {
        return outbox.pending().then((p) => { if (p.length) outbox.emit('auth-required', null) })
      }
      return outbox.flush((item) => api.submit(item), { force }).catch((e) => console.warn('flush failed', e))
    }
  }
  app.forms = new FormsRepo(api, kv, app.entities)
  root.textContent = '' // drop the boot message
  render(html`<${App} app=${app} />`, root)
  persistStorage()
  outbox.pruneSent().catch(() => {})
  app.flush()
  addEventListener('online', () => app.flush(true))
  setInterval(() => { if (navigator.onLine !== false) app.flush() }, FLUSH_EVERY_MS)
  if ('serviceWorker' in navigator && location.protocol !== 'file:') {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker not registered', e))
  }
  return app
}

boot()
