// Boot: open storage, load the session, wire the outbox to the API, register the service
// worker, and flush the outbox on load, when the phone comes online, every 60 s and on demand.
// The outbox, entity lists and form list are scoped to the user logged in (session.js).
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
  const user = () => session.username
  const api = createApi({ getToken: () => session.token(), onUnauthorized: (token) => session.expire(token) })
  const outbox = new Outbox(outboxStore, { owner: user })
  const entities = new EntityLists(api, kv, { user })
  const app = {
    api,
    session,
    outbox,
    entities,
    forms: new FormsRepo(api, kv, entities, { user }),
    toast: () => {},
    /** Send what is queued; force skips backoff (button, coming online). */
    flush (force = false) {
      return claimed.then(() => {
        if (!session.token()) {
          return outbox.pending().then((p) => { if (p.length) outbox.emit('auth-required', null) })
        }
        return outbox.flush(send, { force }).catch((e) => console.warn('flush failed', e))
      })
    }
  }
  // Each item goes with its owner's token or not at all (a failed send: it stays queued).
  const send = (item) => {
    const token = session.tokenFor(item.owner)
    return token ? api.submit(item, token) : Promise.reject(new Error('not logged in as the owner'))
  }
  // Data stored before the client kept it per user records no owner. It goes to the user the
  // session recorded, i.e. the last one who logged in (logging out kept the name then): the
  // client sent everything queued with the token at hand, so what still waits was made under
  // that login (an earlier user's items went out at this user's login). Drafts and history of
  // an earlier user cannot be told apart and go along. With no user recorded the data goes to
  // whoever logs in next. Nothing is dropped.
  let claimed = Promise.resolve() // flushes wait for it
  const claim = () => {
    const u = session.username
    if (u) {
      claimed = Promise.all([outbox.adopt(u), entities.adopt(u), app.forms.adopt(u)])
        .catch((e) => console.warn('adopting stored data failed', e))
    }
    return claimed
  }
  await claim()
  session.addEventListener('change', claim)
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
