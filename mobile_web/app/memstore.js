// An in-memory store with the same interface as idb.js stores (get, put, delete, all, keys):
// used by the Node tests and as a fallback when IndexedDB is unavailable.

const copy = (v) => (v && typeof v === 'object' && !Array.isArray(v))
  ? Object.assign({}, v, v.files ? { files: Object.assign({}, v.files) } : {})
  : v

export function memStore (keyPath = null) {
  const map = new Map()
  return {
    async get (key) { return copy(map.get(key)) },
    async put (value, key) { map.set(key === undefined ? value[keyPath] : key, copy(value)); return key },
    async delete (key) { map.delete(key) },
    async all () { return [...map.values()].map(copy) },
    async keys () { return [...map.keys()] }
  }
}
