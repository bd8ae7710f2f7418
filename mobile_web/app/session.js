// The login token and device id. The token lives in IndexedDB (kv) and is mirrored to
// localStorage so a restarted phone opens offline; expiry only asks for a new login and
// never touches queued work.

import { uuid4 } from './forms/expr.js'

const LS_KEY = 'gridreg.auth'

export class Session {
  constructor (kv, { now = () => Date.now(), storage = globalThis.localStorage } = {}) {
    this.kv = kv
    this.now = now
    this.storage = storage
    this.auth = null
    this.deviceId = null
  }

  async load () {
    this.auth = (await this.kv.get('auth').catch(() => null)) || readLs(this.storage)
    let id = await this.kv.get('device_id').catch(() => null)
    if (!id) {
      id = 'web:' + uuid4()
      await this.kv.put(id, 'device_id').catch(() => {})
    }
    this.deviceId = id
    return this
  }

  /** Remember a token answer {access_token, expires_at}. */
  async save (username, answer) {
    this.auth = { username, token: answer.access_token, expiresAt: answer.expires_at }
    await this.kv.put(this.auth, 'auth').catch(() => {})
    try { this.storage && this.storage.setItem(LS_KEY, JSON.stringify(this.auth)) } catch (e) { /* private mode */ }
  }

  async clear () {
    const username = this.auth && this.auth.username
    this.auth = username ? { username, token: null, expiresAt: null } : null
    await this.kv.put(this.auth, 'auth').catch(() => {})
    try { this.storage && this.storage.setItem(LS_KEY, JSON.stringify(this.auth)) } catch (e) { /* ignore */ }
  }

  get username () { return (this.auth && this.auth.username) || '' }

  /** The token while it is valid, else null. */
  token () {
    const a = this.auth
    if (!a || !a.token) return null
    if (a.expiresAt && Date.parse(a.expiresAt) <= this.now()) return null
    return a.token
  }

  /** True once logged in at least once (forms may be filled offline even after expiry). */
  get known () { return !!(this.auth && this.auth.username) }
  get expired () { return this.known && this.token() === null }
}

function readLs (storage) {
  try { return JSON.parse(storage.getItem(LS_KEY)) } catch (e) { return null }
}
