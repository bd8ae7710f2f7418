// Forms for offline use: the list and every compiled form are kept in the kv store after
// each successful download, and read from there when the network is away.

import { datasetOf } from './entities.js'

export class FormsRepo {
  /** entities: an EntityLists, so prefetching a form also pulls the entity lists it uses. */
  constructor (api, kv, entities = null) {
    this.api = api
    this.kv = kv
    this.entities = entities
  }

  /** The form list: {forms, offline}; online answers refresh the cache and prefetch definitions. */
  async list () {
    try {
      const forms = await this.api.forms()
      await this.kv.put(forms, 'forms')
      this.prefetch(forms).catch(() => {})
      return { forms, offline: false }
    } catch (e) {
      const cached = await this.kv.get('forms')
      if (cached) return { forms: cached, offline: true, error: e }
      throw e
    }
  }

  async prefetch (forms) {
    const lists = new Set()
    for (const f of forms) {
      if (!f.version) continue
      const def = (await this.kv.get(`form:${f.form_id}:${f.version}`)) || await this.fetch(f.form_id)
      for (const file of def.media_files || []) if (/\.csv$/i.test(file)) lists.add(datasetOf(file))
    }
    if (this.entities) for (const ds of lists) await this.entities.sync(ds).catch(() => {})
  }

  async fetch (formId) {
    const answer = await this.api.form(formId)
    const def = answer.definition || answer
    await this.kv.put(def, `form:${formId}:${def.version}`)
    await this.kv.put(def.version, `form:${formId}`)
    return def
  }

  /**
   * A compiled definition: the given version (or the one the last form list named) from the
   * cache, else the latest from the network, else the latest cached. Published versions never
   * change, so a cached one is used as it is: opening a form costs no download.
   */
  async definition (formId, version = null) {
    if (!version) {
      const listed = ((await this.kv.get('forms')) || []).find(f => f.form_id === formId)
      version = listed ? listed.version : null
    }
    if (version) {
      const exact = await this.kv.get(`form:${formId}:${version}`)
      if (exact) return exact
    }
    try {
      return await this.fetch(formId)
    } catch (e) {
      const latest = await this.kv.get(`form:${formId}`)
      return latest ? this.kv.get(`form:${formId}:${latest}`) : null
    }
  }
}
