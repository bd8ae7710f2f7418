// Entity lists (select_one_from_file 'persons.csv') kept on the phone: the first sync pulls
// a snapshot of the worker's scope, later ones only the changes since the saved cursor
// (GET /api/v1/registry/{dataset}/sync). Rows look like ODK's entity CSV: name (UUID),
// label, __version, then the properties.
//
// Each user's lists are kept apart (kv key entities:<user>:<dataset>): the rows are the
// worker's scope, and the next worker on a shared phone must not see them. They are kept, not
// cleared, at logout: their owner may log in again with no network and still needs them.

const LIMIT = 5000

export const datasetOf = (listName) => String(listName || '').replace(/\.csv$/i, '')

export class EntityLists {
  /** user: () => the username logged in; each user's lists are stored apart. */
  constructor (api, kv, { user = () => '' } = {}) {
    this.api = api
    this.kv = kv
    this.user = user
  }

  key (dataset, user = this.user()) { return `entities:${user}:${dataset}` }

  async load (dataset, user = this.user()) {
    return (await this.kv.get(this.key(dataset, user))) || { cursor: null, rows: {} }
  }

  /** Pull changes until has_more is false; returns the number of rows changed. */
  async sync (dataset) {
    const user = this.user()
    const state = await this.load(dataset, user)
    let changed = 0
    for (let guard = 0; guard < 1000; guard++) {
      if (this.user() !== user) break // another user logged in: these pages are not theirs
      const page = await this.api.sync(dataset, state.cursor, LIMIT)
      if (this.user() !== user) break
      for (const item of page.items || []) {
        changed++
        if (item.op === 'remove') delete state.rows[item.uuid]
        else state.rows[item.uuid] = toRow(item)
      }
      state.cursor = page.next_cursor || state.cursor
      await this.kv.put(state, this.key(dataset, user))
      if (!page.has_more) break
    }
    return changed
  }

  /** Give lists stored before they were kept per user (entities:<dataset>) to `user` (see main.js). */
  async adopt (user) {
    if (!user) return
    for (const key of await this.kv.keys()) {
      const m = /^entities:([^:]+)$/.exec(String(key))
      if (!m) continue
      if (!(await this.kv.get(this.key(m[1], user)))) await this.kv.put(await this.kv.get(key), this.key(m[1], user))
      await this.kv.delete(key)
    }
  }

  /** The cached rows of a list (file name or dataset), sorted by label. */
  async rows (listName) {
    const state = await this.load(datasetOf(listName))
    return Object.values(state.rows).sort((a, b) => String(a.label).localeCompare(String(b.label), 'zh-CN'))
  }
}

function toRow (item) {
  const row = { name: item.uuid, label: item.label || item.uuid, __version: String(item.version || '') }
  for (const [k, v] of Object.entries(item.properties || {})) {
    if (!(k in row)) row[k] = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
  return row
}
