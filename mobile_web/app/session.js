// The login, the device id, and who is using the phone. The token lives in IndexedDB (kv) and
// is mirrored to localStorage so a restarted phone opens offline.
//
// The server judges a token, never the phone's clock: phones in the field often run days
// ahead or behind, and comparing the phone's clock with the server's expires_at would call a
// fresh token expired (or an old one valid). So the token is used until the server answers
// 401 to it (expire(token)); then the shell asks for a new login and nothing queued is touched.
//
// Grid workers share phones. Queued work, drafts and cached lists belong to the user who was
// logged in when they were made (outbox.js, entities.js, forms_repo.js scope them by
// `username`); logging out or another user logging in also drops the service worker's cached
// API answers, which are keyed by URL only and so would otherwise answer the next user.

import { uuid4 } from './forms/expr.js'

const LS_KEY = 'gridreg.auth'
// The service worker's cache of API answers. It is named here, once: sw.js is not a module, so
// `node tests/mobile_web/shell_version.mjs --write` copies API_CACHE into it (shell.test.mjs
// checks the copy). Logging out drops every cache with the prefix, older versions' too.
export const API_CACHE_PREFIX = 'gridreg-api-'
export const API_CACHE = API_CACHE_PREFIX + 'v1'

export class Session extends EventTarget {
  /** kv: {get, put}; storage: localStorage or a stand-in; caches: the CacheStorage or a stand-in. */
  constructor (kv, { storage = globalThis.localStorage, caches = globalThis.caches } = {}) {
    super()
    this.kv = kv
    this.storage = storage
    this.caches = caches
    this.auth = null // {username, token, expiresAt} or null when nobody is logged in
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

  /** Remember a token answer {access_token, expires_at} (expires_at is kept for information only). */
  async save (username, answer) {
    if (username !== this.username) await this.clearApiCache()
    await this._store({ username, token: answer.access_token, expiresAt: answer.expires_at || null })
  }

  /** The server answered 401 to `token`: forget it if it is still ours, keep the user (log in again). */
  async expire (token) {
    const a = this.auth
    if (!a || !a.token || (token && token !== a.token)) return
    await this._store({ username: a.username, token: null, expiresAt: null })
  }

  /** Log out: tell the server (best effort), forget the user and the API answers cached for them. */
  async logout (api) {
    if (this.token() && api) await api.logout().catch(() => {})
    await this._store(null)
    await this.clearApiCache()
  }

  /** Drop the service worker's cached API answers (the next user must not see them). */
  async clearApiCache () {
    const c = this.caches
    if (!c) return
    try {
      const names = await c.keys()
      await Promise.all(names.filter((n) => n.startsWith(API_CACHE_PREFIX)).map((n) => c.delete(n)))
    } catch (e) { /* no cache storage: nothing to drop */ }
  }

  async _store (auth) {
    this.auth = auth
    await this.kv.put(auth, 'auth').catch(() => {})
    try { this.storage && this.storage.setItem(LS_KEY, JSON.stringify(auth)) } catch (e) { /* private mode */ }
    this.dispatchEvent(new CustomEvent('change', { detail: auth }))
  }

  /** Who is using the phone ('' when nobody is logged in). */
  get username () { return (this.auth && this.auth.username) || '' }

  /** The token until the server refuses it or the user logs out, else null. */
  token () {
    return (this.auth && this.auth.token) || null
  }

  /** The token, only when `owner` is the user logged in: another user's work is never sent with it. */
  tokenFor (owner) {
    return owner && owner === this.username ? this.token() : null
  }

  /** True while a user is logged in, even after the server refused the token (forms still work offline). */
  get known () { return !!(this.auth && this.auth.username) }
  get expired () { return this.known && this.token() === null }
}

function readLs (storage) {
  try { return JSON.parse(storage.getItem(LS_KEY)) } catch (e) { return null }
}
