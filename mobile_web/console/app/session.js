// The console's login: the token kept in localStorage under the console's own key, apart from the
// phone client's (a supervisor may use /m/ in the same browser). The server judges the token: a
// 401 to it (console_api.js) forgets it and brings back the login screen. The phone client's
// LoginScreen works with this object (username, expired, save).

const KEY = 'gridreg.console.auth'

export class ConsoleSession {
  constructor (storage = globalThis.localStorage) {
    this.storage = storage
    try { this.auth = JSON.parse(storage.getItem(KEY)) } catch (e) { this.auth = null }
  }

  get username () { return (this.auth && this.auth.username) || '' }
  get expired () { return !!(this.auth && this.auth.username && !this.auth.token) }
  token () { return (this.auth && this.auth.token) || null }

  /** Remember a token answer {access_token, expires_at}. */
  async save (username, answer) { this._store({ username, token: answer.access_token }) }

  /** The server refused the token: keep the user name for the login screen. */
  async expire () { if (this.auth) this._store({ username: this.auth.username, token: null }) }

  async clear () { this._store(null) }

  _store (auth) {
    this.auth = auth
    try { this.storage.setItem(KEY, JSON.stringify(auth)) } catch (e) { /* private mode */ }
  }
}
