// A small promise wrapper over IndexedDB. One database, two object stores:
//   outbox  submissions (drafts and queued) with their photos as Blobs, keyed by instanceID
//   kv      small values: the login token, device id, cached form list and compiled forms
// Every store object has the same interface as memstore.js: get, put, delete, all, keys.

const DB_NAME = 'gridreg'
const DB_VERSION = 1

function promisify (request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/** Open (and create or upgrade) the client database. */
export function openDb (indexedDB = globalThis.indexedDB) {
  return new Promise((resolve, reject) => {
    if (!indexedDB) return reject(new Error('IndexedDB is not available'))
    const req = indexedDB.open(DB_NAME, DB_VERSION)
    req.onupgradeneeded = () => {
      const db = req.result
      if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'instanceID' })
      if (!db.objectStoreNames.contains('kv')) db.createObjectStore('kv')
    }
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
    req.onblocked = () => reject(new Error('database upgrade blocked by another tab'))
  })
}

/** A store over one object store: get(key), put(value[, key]), delete(key), all(), keys(). */
export function idbStore (db, name) {
  const run = (mode, fn) => {
    const tx = db.transaction(name, mode)
    const result = promisify(fn(tx.objectStore(name)))
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve
      tx.onabort = tx.onerror = () => reject(tx.error)
    })
    return mode === 'readwrite' ? Promise.all([result, done]).then(([r]) => r) : result
  }
  return {
    get: (key) => run('readonly', (s) => s.get(key)),
    put: (value, key) => run('readwrite', (s) => key === undefined ? s.put(value) : s.put(value, key)),
    delete: (key) => run('readwrite', (s) => s.delete(key)),
    all: () => run('readonly', (s) => s.getAll()),
    keys: () => run('readonly', (s) => s.getAllKeys())
  }
}

/** Ask the browser to keep our data under storage pressure (best effort). */
export async function persistStorage () {
  try {
    if (navigator.storage && navigator.storage.persist) return await navigator.storage.persist()
  } catch (e) { /* not granted */ }
  return false
}
