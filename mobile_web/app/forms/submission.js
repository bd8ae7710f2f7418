// What a finished form sends, built without the DOM from the model: the data (non-relevant
// answers emptied, end time stamped, meta/entity for a registry update), only the photos the
// data still names, and the submission's meta (device_id, start, end, location), with times
// in the model's clock and time zone. The form screen only stores the result in the outbox.
import { formatValue } from './values.js'
import { parseGeopoint } from '../geo.js'

/** The model's clock now, as a dateTime answer in its time zone (a form's start and end). */
export function stampNow (model) {
  return formatValue('dateTime', model.now(), model.tz)
}

/**
 * {data, files, meta} of a finished form. files: {name: blob} taken while filling (photos
 * replaced or no longer relevant are dropped); external: the select_one_from_file lists.
 */
export function buildSubmission (model, { files = {}, external = {}, deviceId = null, start }) {
  const def = model.def
  const data = model.finalData()
  const entity = entityMeta(def, model, external)
  if (entity) data.meta = Object.assign({}, data.meta, { entity })
  const used = leafValues(data)
  const kept = {}
  for (const [name, blob] of Object.entries(files)) if (used.has(name)) kept[name] = blob
  const meta = { device_id: deviceId, start, end: stampNow(model), location: firstLocation(def.fields, data) }
  return { data, files: kept, meta }
}

/** meta/entity for forms that update a registry record: which one, and the version we saw. */
export function entityMeta (def, model, external) {
  const block = def.entities
  if (!block || !block.entity_id || !(block.actions || []).includes('update')) return null
  const m = /^\$\{([^}]+)\}$/.exec(String(block.entity_id).trim())
  const id = m ? String(model.get((def.refs || {})[m[1]] || '')) : ''
  if (!id) return null
  const rows = Object.values(external).find((list) => list.some((r) => r.name === id)) || []
  const row = rows.find((r) => r.name === id)
  const meta = { '@dataset': block.dataset, '@id': id, '@update': '1' }
  if (row && row.__version) meta['@baseVersion'] = row.__version
  return meta
}

/** meta.location from the first answered geopoint: {lat, lon, altitude, accuracy}. */
export function firstLocation (fields, data) {
  for (const f of fields) {
    const v = data[f.name]
    if ((f.type === 'geopoint' || f.type === 'start-geopoint') && v) {
      const p = parseGeopoint(v)
      if (p) return p
    }
    if (f.type === 'group' && v && typeof v === 'object') {
      const p = firstLocation(f.children || [], v)
      if (p) return p
    }
  }
  return null
}

/** Every leaf answer of the data, in groups and repeats alike. */
function leafValues (data, out = new Set()) {
  for (const v of Object.values(data)) {
    if (Array.isArray(v)) v.forEach((e) => leafValues(e, out))
    else if (v && typeof v === 'object') leafValues(v, out)
    else out.add(v)
  }
  return out
}
