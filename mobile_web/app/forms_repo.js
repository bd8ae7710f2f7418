// Forms for offline use: the list and every compiled form are kept in the kv store after
// each successful download, and read from there when the network is away. The definitions
// the list names are also kept in memory once read, so opening a form from the list needs
// no IndexedDB read (and no wait for one) at all.
//
// The form list is the user's (their role and scope decide it) and is kept per user (kv key
// forms:<user>); compiled definitions are the same for everybody and are shared.

import { datasetOf } from './entities.js'

const IN_MEMORY = 16 // definitions kept in memory (least recently used dropped first)

export class FormsRepo {
  /**
   * entities: an EntityLists, so prefetching a form also pulls the entity lists it uses;
   * user: () => the username logged in.
   */
  constructor (api, kv, entities = null, { user = () => '' } = {}) {
    this.api = api
    this.kv = kv
    this.entities = entities
    this.user = user
    this._listed = null // the last form list seen: {user, forms}
    this.defs = new Map() // 'form_id:version' -> definition
  }

  /** The last form list seen by the user logged in (null if none). */
  get listed () {
    return this._listed && this._listed.user === this.user() ? this._listed.forms : null
  }

  set listed (forms) { this._listed = { user: this.user(), forms } }

  /** The user's cached form list. */
  cachedList () { return this.kv.get(`forms:${this.user()}`) }

  /** Give the list stored before lists were kept per user (key 'forms') to `user` (see main.js). */
  async adopt (user) {
    const old = user ? await this.kv.get('forms') : null
    if (!old) return
    if (!(await this.kv.get(`forms:${user}`))) await this.kv.put(old, `forms:${user}`)
    await this.kv.delete('forms')
  }

  /** The form list: {forms, offline}; online answers refresh the cache and prefetch definitions. */
  async list () {
    const user = this.user()
    try {
      const forms = await this.api.forms()
      if (this.user() !== user) throw new Error('another user logged in')
      this.listed = forms
      await this.kv.put(forms, `forms:${user}`)
      this.prefetch(forms).catch(() => {})
      return { forms, offline: false }
    } catch (e) {
      const cached = await this.cachedList()
      if (cached) {
        this.listed = cached
        this.prefetch(cached, false).catch(() => {})
        return { forms: cached, offline: true, error: e }
      }
      throw e
    }
  }

  /** Read (or, online, download) every listed definition and the entity lists they use. */
  async prefetch (forms, online = true) {
    const lists = new Set()
    for (const f of forms) {
      if (!f.version) continue
      const def = this.cached(f.form_id, f.version) || this.remember(await this.kv.get(`form:${f.form_id}:${f.version}`)) ||
        (online ? await this.fetch(f.form_id) : null)
      for (const file of (def && def.media_files) || []) if (/\.csv$/i.test(file)) lists.add(datasetOf(file))
    }
    if (online && this.entities) for (const ds of lists) await this.entities.sync(ds).catch(() => {})
  }

  async fetch (formId) {
    const answer = await this.api.form(formId)
    const def = answer.definition || answer
    await this.kv.put(def, `form:${formId}:${def.version}`)
    await this.kv.put(def.version, `form:${formId}`)
    return this.remember(def)
  }

  /** Keep a definition in memory; returns it (null stays null). */
  remember (def) {
    if (!def) return null
    const key = `${def.form_id}:${def.version}`
    this.defs.delete(key)
    this.defs.set(key, def)
    if (this.defs.size > IN_MEMORY) this.defs.delete(this.defs.keys().next().value)
    return def
  }

  /**
   * The definition of the given version (or the one the last form list named) if it is in
   * memory, else null: synchronous, so a form opened from the list renders in the same task.
   */
  cached (formId, version = null) {
    if (!version) {
      const listed = (this.listed || []).find((f) => f.form_id === formId)
      version = listed ? listed.version : null
    }
    const def = version ? this.defs.get(`${formId}:${version}`) : null
    return def ? this.remember(def) : null
  }

  /**
   * A compiled definition: the given version (or the one the last form list named) from the
   * cache, else the latest from the network, else the latest cached. Published versions never
   * change, so a cached one is used as it is: opening a form costs no download.
   */
  async definition (formId, version = null) {
    if (!version) {
      const listed = (this.listed || (await this.cachedList()) || []).find(f => f.form_id === formId)
      version = listed ? listed.version : null
    }
    if (version) {
      const exact = this.cached(formId, version) || this.remember(await this.kv.get(`form:${formId}:${version}`))
      if (exact) return exact
    }
    try {
      return await this.fetch(formId)
    } catch (e) {
      const latest = await this.kv.get(`form:${formId}`)
      return latest ? this.remember(await this.kv.get(`form:${formId}:${latest}`)) : null
    }
  }
}
