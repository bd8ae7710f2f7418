// Entity lists (select_one_from_file 'persons.csv') kept on the phone: the first sync pulls
// a snapshot of the worker's scope, later ones only the changes since the saved cursor
// (GET /api/v1/registry/{dataset}/sync). Rows look like ODK's entity CSV: name (UUID),
// label, __version, then the properties.

const LIMIT = 5000

export const datasetOf = (listName) => String(listName || '').replace(/\.csv$/i, '')

export class EntityLists {
  constructor (api, kv) {
    this.api = api
    this.kv = kv
  }

  async load (dataset) {
    return (await this.kv.get(`entities:${dataset}`)) || { cursor: null, rows: {} }
  }

  /** Pull changes until has_more is false; returns the number of rows changed. */
  async sync (dataset) {
    const state = await this.load(dataset)
    let changed = 0
    for (let guard = 0; guard < 1000; guard++) {
      const page = await this.api.sync(dataset, state.cursor, LIMIT)
      for (const item of page.items || []) {
        changed++
        if (item.op === 'remove') delete state.rows[item.uuid]
        else state.rows[item.uuid] = toRow(item)
      }
      state.cursor = page.next_cursor || state.cursor
      await this.kv.put(state, `entities:${dataset}`)
      if (!page.has_more) break
    }
    return changed
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
