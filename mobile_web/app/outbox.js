// The outbox: filled forms (and their photos, as Blobs) keyed by instanceID, and flush(),
// which sends them one at a time, oldest first. It knows storage and the send function it
// is given, never the DOM; screens listen to its events (STYLE.md 2.2 rule 14, 2.3 ex. 8).
//
// States: draft -> queued -> sending -> sent | needs_attention (back to queued on retry).
// An item leaves the pending set only when the server answered 201 or 200 (a replay).
// 401: 'auth-required', items stay queued. 408/429/5xx or no network: 'retry-later' with
// exponential backoff. Any other 4xx (409 payload mismatch, 400 validation…): needs_attention
// with the server's message. Events (CustomEvent, detail = item or {reason}): change, sent,
// needs-attention, auth-required, retry-later, drained.
//
// Edits: a sent item can be reopened as a new draft (startEdit) with a new instanceID and
// deprecatedID = the sent one's; the server links the versions (payload deprecated_id). The
// server does not inherit photos from the replaced version, so sent items keep their photo
// Blobs (to be sent again with an edit) until pruneSent removes the whole item.
//
// Owners: grid workers share phones, so every item records the user who made it (`owner`,
// from the owner() function given). The outbox shows, edits and sends only the items of the
// user now logged in; another user's items stay stored untouched, whatever their state, and
// go out when their owner logs in again (even offline nothing is lost). The send function is
// handed one owner's items at a time and a run stops as soon as the user changes.

export const STATES = ['draft', 'queued', 'sending', 'sent', 'needs_attention']
const PENDING = new Set(['queued', 'sending'])
const TRANSIENT = new Set([408, 425, 429])

/** Delay before the nth retry: base * 2^(n-1), capped, with +-jitter. */
export function backoffDelay (attempts, { base = 5000, max = 15 * 60 * 1000, jitter = 0.2, random = Math.random } = {}) {
  const d = Math.min(max, base * Math.pow(2, Math.max(0, attempts - 1)))
  return Math.round(d * (1 + jitter * (2 * random() - 1)))
}

export class Outbox extends EventTarget {
  /**
   * store: {get, put, delete, all}; owner: () => the username logged in ('' or null: nobody);
   * now: () => ms; backoff: options for backoffDelay.
   */
  constructor (store, { owner = () => null, now = () => Date.now(), backoff = {} } = {}) {
    super()
    this.store = store
    this.owner = owner
    this.now = now
    this.backoff = backoff
    this._flushing = null
    this._flushingFor = null
  }

  emit (type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })) }

  /** True when the item belongs to the user logged in. */
  mine (item) {
    const owner = this.owner()
    return !!(item && owner && item.owner === owner)
  }

  /** The logged-in user's items, oldest first. */
  async list () {
    const items = (await this.store.all()).filter((i) => this.mine(i))
    return items.sort((a, b) => (a.createdAt - b.createdAt) || (a.instanceID < b.instanceID ? -1 : 1))
  }

  /** One of the logged-in user's items (undefined for anybody else's). */
  async get (instanceID) {
    const item = await this.store.get(instanceID)
    return this.mine(item) ? item : undefined
  }

  /** The item if it belongs to the logged-in user; throws for another user's. */
  async _own (instanceID) {
    const item = await this.store.get(instanceID)
    if (item && !this.mine(item)) throw new Error(`submission ${instanceID} belongs to another user`)
    return item
  }

  /**
   * Give items made before owners were recorded (no owner) to `owner`; returns how many. The
   * app calls it with the user its session recorded (see main.js for why).
   */
  async adopt (owner) {
    if (!owner) return 0
    let n = 0
    for (const item of await this.store.all()) {
      if (item.owner) continue
      item.owner = owner
      await this._put(item)
      n++
    }
    return n
  }

  async _put (item) {
    item.updatedAt = this.now()
    await this.store.put(item)
    this.emit('change', item)
    return item
  }

  /** Create or update a draft: {instanceID, formId, formVersion, title, data, meta, files}. */
  async saveDraft (fields) {
    const owner = this.owner()
    if (!owner) throw new Error('nobody is logged in')
    const old = await this._own(fields.instanceID)
    if (old && old.state !== 'draft' && old.state !== 'needs_attention') {
      throw new Error(`submission ${fields.instanceID} is already ${old.state}`)
    }
    const item = Object.assign({ createdAt: this.now(), files: {}, attempts: 0, message: null, status: null },
      old || {}, fields, { state: old ? old.state : 'draft', owner })
    return this._put(item)
  }

  /** Mark a draft (or a returned item) ready to send. */
  async enqueue (instanceID) {
    const item = await this._own(instanceID)
    if (!item) throw new Error(`no submission ${instanceID}`)
    if (item.state === 'sent' || PENDING.has(item.state)) return item
    Object.assign(item, { state: 'queued', queuedAt: this.now(), attempts: 0, nextAttemptAt: 0, message: null })
    return this._put(item)
  }

  /** Throw away a draft or a needs_attention item (never one being sent). */
  async discard (instanceID) {
    const item = await this._own(instanceID)
    if (item && PENDING.has(item.state)) throw new Error('cannot discard a queued submission')
    await this.store.delete(instanceID)
    this.emit('change', { instanceID, deleted: true })
  }

  /**
   * Reopen a sent item for correction: a new draft {instanceID: newID, deprecatedID: the sent
   * item's instanceID} with a copy of its answers and photos. If the item was already reopened
   * (and that edit is not sent yet), that draft is returned instead of a second one; an item
   * whose edit was already sent cannot be edited again (the server would answer edit_conflict).
   */
  async startEdit (instanceID, newID) {
    const old = await this._own(instanceID)
    if (!old) throw new Error(`no submission ${instanceID}`)
    if (old.state !== 'sent') throw new Error(`submission ${instanceID} is ${old.state}, not sent`)
    const existing = (await this.list()).find((i) => i.deprecatedID === instanceID)
    if (existing) {
      if (existing.state === 'sent') throw new Error(`submission ${instanceID} was already edited`)
      return existing
    }
    if (!newID || newID === instanceID) throw new Error('an edit needs a new instanceID')
    const data = JSON.parse(JSON.stringify(old.data || {}))
    if (data.meta && typeof data.meta === 'object' && 'instanceID' in data.meta) data.meta.instanceID = 'uuid:' + newID
    return this._put({
      instanceID: newID,
      deprecatedID: instanceID,
      owner: old.owner,
      formId: old.formId,
      formVersion: old.formVersion,
      title: old.title,
      label: old.label,
      lang: old.lang,
      data,
      files: Object.assign({}, old.files || {}),
      meta: {},
      state: 'draft',
      createdAt: this.now(),
      attempts: 0,
      message: null,
      status: null
    })
  }

  /** Remove sent items older than maxAgeMs, with the photos they kept for edits. */
  async pruneSent (maxAgeMs = 7 * 86400000) {
    for (const item of await this.store.all()) {
      if (item.state === 'sent' && this.now() - (item.sentAt || 0) > maxAgeMs) await this.store.delete(item.instanceID)
    }
  }

  /** The logged-in user's items waiting to be sent (queued, or interrupted while sending), oldest first. */
  async pending () {
    return (await this.list()).filter((i) => PENDING.has(i.state))
      .sort((a, b) => ((a.queuedAt || a.createdAt) - (b.queuedAt || b.createdAt)))
  }

  /**
   * Send pending items one at a time with send(item) -> Promise<{status, body}> (rejects when
   * offline). force ignores backoff (the 'send now' button, the 'online' event).
   * Concurrent calls for the same user share one run; a call after the user changed runs once
   * the previous run has stopped. A forced call during an unforced run, or during a run that
   * may have failed before the phone came online, runs again once that run has stopped, so
   * coming online never waits out a backoff set while offline. Resolves to a summary
   * {sent, failed, stopped}; stopped is 'user' when the user changed during the run.
   */
  flush (send, { force = false } = {}) {
    const owner = this.owner()
    if (this._flushing && this._flushingFor === owner) {
      if (!force) return this._flushing
      if (!this._forcedNext) {
        this._forcedNext = this._flushing.catch(() => {}).then(() => {
          this._forcedNext = null
          return this.flush(send, { force: true })
        })
      }
      return this._forcedNext
    }
    const before = this._flushing || Promise.resolve()
    const run = before.catch(() => {}).then(() => this._flush(send, force, owner)).finally(() => {
      if (this._flushing === run) { this._flushing = null; this._flushingFor = null }
    })
    this._flushing = run
    this._flushingFor = owner
    return run
  }

  async _flush (send, force, owner) {
    const summary = { sent: 0, failed: 0, stopped: null }
    if (!owner || owner !== this.owner()) return Object.assign(summary, { stopped: 'user' })
    for (const item of await this.pending()) {
      if (item.owner !== this.owner()) return Object.assign(summary, { stopped: 'user' })
      if (!force && item.nextAttemptAt && item.nextAttemptAt > this.now()) continue
      item.state = 'sending'
      await this._put(item)
      let res = null
      try {
        res = await send(item)
      } catch (e) {
        res = null
      }
      const status = res ? res.status : 0
      if (status === 200 || status === 201) {
        Object.assign(item, { state: 'sent', status, sentAt: this.now(), message: null }) // photos kept for edits
        await this._put(item)
        this.emit('sent', item)
        summary.sent++
        continue
      }
      if (status === 401) {
        Object.assign(item, { state: 'queued', status })
        await this._put(item)
        this.emit('auth-required', item)
        summary.stopped = 'auth'
        return summary
      }
      if (status >= 400 && status < 500 && !TRANSIENT.has(status)) {
        Object.assign(item, { state: 'needs_attention', status, message: serverMessage(res), errors: (res.body && res.body.errors) || null })
        await this._put(item)
        this.emit('needs-attention', item)
        summary.failed++
        continue
      }
      item.attempts = (item.attempts || 0) + 1
      Object.assign(item, {
        state: 'queued',
        status: status || null,
        nextAttemptAt: this.now() + backoffDelay(item.attempts, this.backoff),
        message: status ? serverMessage(res) : null
      })
      await this._put(item)
      this.emit('retry-later', { item, status })
      summary.stopped = status ? 'server' : 'offline'
      return summary
    }
    if (!(await this.pending()).length) this.emit('drained', summary)
    return summary
  }
}

/** The message to show for a failed send: the server's text, else its status. */
export function serverMessage (res) {
  const body = res && res.body
  if (body && typeof body === 'object') {
    if (body.message) return String(body.message)
    if (body.error) return String(body.error)
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 300)
  return res && res.status ? `HTTP ${res.status}` : null
}
