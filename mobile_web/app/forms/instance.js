// The instance being filled, as the server takes it: groups are objects, repeats arrays of
// objects, every answer a string (select_multiple: space-separated names). Paths are the
// engine's, with 1-based repeat indices: /data/members[2]/m_name.

export const GROUPS = new Set(['group', 'repeat'])
export const META_TYPES = new Set(['start', 'end', 'today', 'deviceid', 'username', 'phonenumber', 'subscriberid',
  'simserial', 'email', 'audit', 'start-geopoint', 'background-audio', 'background-geopoint'])

/** '/data/members[2]/m_name' -> [['data', 1], ['members', 2], ['m_name', 1]]. */
export function steps (path) {
  return path.replace(/^\//, '').split('/').map((part) => {
    const m = /^(.+?)(?:\[(\d+)\])?$/.exec(part)
    return [m[1], m[2] ? Number(m[2]) : 1]
  })
}

/** The object holding the last step, walking (and, with create, making) groups and repeat entries. */
function parentOf (data, path, create) {
  const s = steps(path).slice(1) // drop the root
  let node = data
  for (let i = 0; i < s.length - 1; i++) {
    const [name, idx] = s[i]
    let next = node[name]
    if (Array.isArray(next)) {
      if (!next[idx - 1]) {
        if (!create) return null
        next[idx - 1] = {}
      }
      node = next[idx - 1]
    } else {
      if (next === undefined || next === null || typeof next !== 'object') {
        if (!create) return null
        next = node[name] = {}
      }
      node = next
    }
  }
  return [node, s[s.length - 1][0]]
}

export function getValue (data, path) {
  const p = parentOf(data, path, false)
  if (!p) return ''
  const v = p[0][p[1]]
  return typeof v === 'string' ? v : (v === undefined || v === null ? '' : v)
}

export function setValue (data, path, value) {
  const [node, name] = parentOf(data, path, true)
  node[name] = value
}

/** The entries of a repeat at a concrete path (created empty when absent). */
export function repeatEntries (data, path) {
  const [node, name] = parentOf(data, path, true)
  if (!Array.isArray(node[name])) node[name] = []
  return node[name]
}

/** A concrete child path: parent '/data/m[2]' + field 'x' -> '/data/m[2]/x'. */
export const childPath = (parent, name, index) => `${parent}/${name}${index ? `[${index}]` : ''}`

/**
 * Every field instance under fields/data in document order: {field, path, depth, parent}.
 * Repeats yield themselves (path without index) and then each entry's children.
 */
export function * walk (fields, data, parentPath, depth = 0, parent = null) {
  for (const field of fields) {
    const path = childPath(parentPath, field.name)
    yield { field, path, depth, parent }
    if (field.type === 'group') {
      yield * walk(field.children || [], data, path, depth + 1, path)
    } else if (field.type === 'repeat') {
      const entries = repeatEntries(data, path)
      for (let i = 0; i < entries.length; i++) {
        yield * walk(field.children || [], data, childPath(parentPath, field.name, i + 1), depth + 1, path)
      }
    }
  }
}

/** Build empty content for fields (groups as objects, repeats with `repeats` entries each). */
export function emptyContent (fields, initial = (f) => '', repeats = 1) {
  const out = {}
  for (const f of fields) {
    if (f.type === 'group') out[f.name] = emptyContent(f.children || [], initial, repeats)
    else if (f.type === 'repeat') {
      out[f.name] = f.repeat_count ? [] : Array.from({ length: repeats }, () => emptyContent(f.children || [], initial, repeats))
    } else out[f.name] = initial(f)
  }
  return out
}

/** A deep copy of plain JSON data. */
export const clone = (v) => JSON.parse(JSON.stringify(v))
