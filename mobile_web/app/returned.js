// Submissions a supervisor returned to the worker for correction (需要修改), kept on the phone.
// DOM-free: the API, the kv store, the outbox and the clock are given.
//
// GET /api/v1/me/returned lists the caller's returned submissions that still wait for a
// correction, each with the reviewer's latest comment and the answers as the server shows
// them to the worker. refresh() (online: on start, at login, after a flush that sent
// something, on the outbox screen) keeps that list per user in kv (`returned:<user>`), so the
// next worker on a shared phone does not see it and its owner still has it offline.
//
// open() turns a returned submission into an outbox draft that replaces it (deprecatedID =
// its instance id), so the correction is sent like any edit, offline or not:
// - if the phone still has the sent item, its answers and photo Blobs are used (what the
//   worker typed, sensitive values in full);
// - else the server's answers are used: values the server masked for the worker (an ID
//   number shown as 6401**********0218) are emptied for the worker to type again, and the
//   photos are the server's files, fetched while online by refresh() (the server does not
//   carry photos over to an edit, so an edit must send them again).
// An entry leaves the list once its correction is sent, or when the server no longer lists it.

const MASKED = /^[0-9A-Za-z]*\*{2,}[0-9A-Za-z]*$/

/** 'uuid:abc' -> 'abc': the outbox keys items by the bare UUID, the server by the uuid: form. */
export const bareId = (id) => String(id || '').replace(/^uuid:/, '')

/** The answers under the form's root, with values masked by the server emptied. */
export function answersFrom (data, root = 'data') {
  let body = data && typeof data === 'object' ? data : {}
  const keys = Object.keys(body)
  if (keys.length === 1 && keys[0] === root && body[root] && typeof body[root] === 'object') body = body[root]
  const clean = (node) => {
    if (Array.isArray(node)) return node.map(clean)
    if (node && typeof node === 'object') {
      const out = {}
      for (const [k, v] of Object.entries(node)) out[k] = clean(v)
      return out
    }
    return typeof node === 'string' && MASKED.test(node) ? '' : node
  }
  return clean(body)
}

/** Names of the photos (and other files) the answers refer to, given the server's attachment list. */
function fileNames (attachments) {
  return (attachments || []).filter((a) => a && a.received && a.name).map((a) => String(a.name))
}

export class ReturnedList extends EventTarget {
  /** api: {returned, submission, comments, attachment}; kv: {get, put}; outbox: an Outbox; user: () => username. */
  constructor (api, kv, outbox, { user = () => '', now = () => Date.now() } = {}) {
    super()
    this.api = api
    this.kv = kv
    this.outbox = outbox
    this.user = user
    this.now = now
    this._refreshing = null // {user, run}: one refresh at a time per user
  }

  emit (type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })) }

  key (user = this.user()) { return `returned:${user}` }

  /** The user's cached list: {items, fetchedAt}. */
  async cached (user = this.user()) {
    if (!user) return { items: [], fetchedAt: null }
    return (await this.kv.get(this.key(user))) || { items: [], fetchedAt: null }
  }

  /**
   * Ask the server for the user's returned submissions and keep them; photos and the comment's
   * date of new entries are fetched too (best effort). Resolves to the items, or null when nobody
   * is logged in or another user logged in meanwhile; rejects offline (the cache stays).
   */
  refresh () {
    const user = this.user()
    if (this._refreshing && this._refreshing.user === user) return this._refreshing.run
    const run = this._refresh().finally(() => { if (this._refreshing && this._refreshing.run === run) this._refreshing = null })
    this._refreshing = { user, run }
    return run
  }

  async _refresh () {
    const user = this.user()
    if (!user) return null
    const answer = await this.api.returned()
    if (this.user() !== user) return null
    const before = new Map((await this.cached(user)).items.map((i) => [i.instanceID, i]))
    const items = (answer && answer.items ? answer.items : []).map((r) => {
      const id = bareId(r.instance_id)
      const old = before.get(id)
      const same = old && old.comment === (r.comment || null)
      return {
        instanceID: id,
        formId: r.form_id,
        formVersion: r.form_version,
        comment: r.comment || null,
        commentAt: same ? old.commentAt : null,
        commentBy: same ? old.commentBy : null,
        receivedAt: r.received_at || null,
        data: r.data || {},
        files: old ? old.files : null // null: not fetched yet
      }
    })
    await this.kv.put({ items, fetchedAt: this.now() }, this.key(user))
    this.emit('change', { user })
    for (const item of items) {
      if (this.user() !== user) return null
      const changed = await this._complete(item).catch(() => false)
      if (changed && this.user() === user) {
        await this.kv.put({ items, fetchedAt: this.now() }, this.key(user))
        this.emit('change', { user })
      }
    }
    return items
  }

  /** Fill in the comment's date and the photos of an entry (once); true when something was added. */
  async _complete (item) {
    let changed = false
    if (item.comment && !item.commentAt && this.api.comments) {
      const thread = await this.api.comments('uuid:' + item.instanceID)
      const last = (thread && thread.items ? thread.items : []).filter((c) => c.body === item.comment).pop()
      if (last) {
        item.commentAt = last.created_at || null
        item.commentBy = last.author_name || last.author || null
        changed = true
      }
    }
    if (item.files === null) {
      const local = await this.outbox.get(item.instanceID)
      if (local && local.state === 'sent') {
        item.files = {} // the phone has them with its own copy
      } else {
        const detail = await this.api.submission('uuid:' + item.instanceID)
        const files = {}
        for (const name of fileNames(detail && detail.attachments)) {
          files[name] = await this.api.attachment('uuid:' + item.instanceID, name)
        }
        item.files = files
      }
      changed = true
    }
    return changed
  }

  /**
   * The entries to show, newest first, each with `correction`: the outbox item that corrects
   * it (a draft, queued...) or null. Entries whose correction was sent are left out.
   */
  async list () {
    const { items } = await this.cached()
    const corrections = new Map()
    for (const o of await this.outbox.list()) if (o.deprecatedID) corrections.set(o.deprecatedID, o)
    return items
      .map((i) => Object.assign({}, i, { correction: corrections.get(i.instanceID) || null }))
      .filter((i) => !i.correction || i.correction.state !== 'sent')
  }

  /** How many entries still wait for the worker (no correction finished yet). */
  async count () {
    return (await this.list()).filter((i) => !i.correction || i.correction.state === 'draft' ||
      i.correction.state === 'needs_attention').length
  }

  /**
   * The outbox draft that corrects a returned submission: the one already started, else a new
   * one (newID) from the phone's sent copy or from the server's answers. `root` is the form's
   * root element name (the server's tree may carry it). Throws when the correction was sent.
   */
  async open (instanceID, newID, { root = 'data', title = '' } = {}) {
    const id = bareId(instanceID)
    const entry = (await this.cached()).items.find((i) => i.instanceID === id)
    if (!entry) throw new Error(`submission ${id} is not among the returned ones`)
    const review = { comment: entry.comment, commentAt: entry.commentAt || null, commentBy: entry.commentBy || null }
    const started = (await this.outbox.list()).find((i) => i.deprecatedID === id)
    if (started) {
      if (started.state === 'sent') throw new Error(`submission ${id} was already corrected`)
      if (started.state === 'draft' || started.state === 'needs_attention') {
        return this.outbox.saveDraft({ instanceID: started.instanceID, review })
      }
      return started
    }
    if (!newID || bareId(newID) === id) throw new Error('a correction needs a new instanceID')
    const local = await this.outbox.get(id)
    if (local && local.state === 'sent') {
      const draft = await this.outbox.startEdit(id, newID)
      return this.outbox.saveDraft({ instanceID: draft.instanceID, review })
    }
    const data = answersFrom(entry.data, root)
    if (data.meta && typeof data.meta === 'object') {
      data.meta = Object.assign({}, data.meta, { instanceID: 'uuid:' + newID })
      delete data.meta.deprecatedID
    }
    return this.outbox.saveDraft({
      instanceID: newID,
      deprecatedID: id,
      formId: entry.formId,
      formVersion: entry.formVersion,
      title: title || entry.formId,
      label: (data.meta && data.meta.instanceName) || '',
      data,
      files: Object.assign({}, entry.files || {}),
      meta: {},
      review: Object.assign({ fromServer: true }, review)
    })
  }
}
