// A submission's answers laid out as its form: groups, repeat entries, labels in the chosen
// language and choice labels instead of codes, with each validation problem at its question,
// and the answers an edit changed. Pure functions over the compiled form (no DOM), shared
// instance helpers from the phone client.
import { pick } from '../../app/i18n.js'
import { childPath, GROUPS } from '../../app/forms/instance.js'
import { isHidden } from '../../app/forms/model.js'
import { when } from './strings.js'

const SELECTS = new Set(['select_one', 'select_multiple', 'select_one_from_file', 'select_multiple_from_file', 'rank'])
const MEDIA = new Set(['image', 'audio', 'video', 'file'])

/** '/data/a[1]/b' and 'a/b' name the same question: the path without root and first indices. */
export function normPath (path, root = 'data') {
  const p = String(path || '').replace(/^\//, '')
  const rest = p.startsWith(root + '/') ? p.slice(root.length + 1) : (p === root ? '' : p)
  return rest
}

/** The text a reviewer reads for one answer. */
export function answerText (def, field, value, lang) {
  if (value === undefined || value === null || value === '') return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  if (SELECTS.has(field.type)) {
    const rows = (def.choices || {})[field.list_name] || []
    const label = (code) => {
      const row = rows.find((r) => r.name === code)
      return row ? pick(row.label, lang, def.default_language) || code : code
    }
    return field.type.startsWith('select_one') ? label(text) : text.split(/\s+/).filter(Boolean).map(label).join('、')
  }
  if (field.type === 'geopoint') {
    const [lat, lon, , acc] = text.split(/\s+/).map(Number)
    if (!isFinite(lat) || !isFinite(lon)) return text
    return `${lat.toFixed(6)}, ${lon.toFixed(6)}` + (isFinite(acc) && acc > 0 ? `（±${Math.round(acc)} 米）` : '')
  }
  if (field.type === 'dateTime') return when(text)
  if (field.type === 'time') return text.slice(0, 5)
  return text
}

/**
 * The form's layout filled with data: a tree of
 * {kind: 'group', label, path, children} | {kind: 'repeat', label, path, entries: [{index, path, children}]} |
 * {kind: 'answer', field, label, path, value, text, media, issues}.
 * issues: [{path, code, message}] from validation; each lands on the answer whose path it names,
 * the rest are returned in `unplaced`.
 */
export function layout (def, data, lang, issues = []) {
  const root = def.root || 'data'
  const byPath = new Map()
  for (const issue of issues || []) {
    const key = String(issue.path || '').replace(/^\//, '')
    if (!byPath.has(key)) byPath.set(key, [])
    byPath.get(key).push(issue)
  }
  const used = new Set()
  const issuesAt = (path) => {
    const key = path.replace(/^\//, '')
    const variants = [key, normPath(key, root), key.replace(/\[1\]/g, '')]
    const found = []
    for (const v of variants) {
      if (byPath.has(v) && !used.has(v)) { used.add(v); found.push(...byPath.get(v)) }
    }
    return found
  }
  const walk = (fields, node, parentPath) => {
    const out = []
    for (const field of fields || []) {
      if (isHidden(field) || field.type === 'note') continue
      const path = childPath(parentPath, field.name)
      const value = node && typeof node === 'object' ? node[field.name] : undefined
      const label = pick(field.label, lang, def.default_language) || field.name
      if (field.type === 'group') {
        const children = walk(field.children, value || {}, path)
        if (children.length) out.push({ kind: 'group', label, path, children })
      } else if (field.type === 'repeat') {
        const list = Array.isArray(value) ? value : []
        const entries = list.map((entry, i) => ({
          index: i + 1, path: childPath(parentPath, field.name, i + 1), children: walk(field.children, entry, childPath(parentPath, field.name, i + 1))
        }))
        out.push({ kind: 'repeat', label, path, entries })
      } else if (!GROUPS.has(field.type)) {
        out.push({
          kind: 'answer', field, label, path, value: value === undefined ? '' : value,
          text: answerText(def, field, value, lang), media: MEDIA.has(field.type) && value ? String(value) : null,
          issues: issuesAt(path)
        })
      }
    }
    return out
  }
  const tree = walk(def.fields, data || {}, '/' + root)
  const unplaced = (issues || []).filter((i) => !used.has(String(i.path || '').replace(/^\//, '')))
  return { tree, unplaced }
}

/** Label of the question at a path ('/data/family/children[2]/child_name' or 'family/children[2]/child_name'). */
export function labelAt (def, path, lang) {
  const root = def.root || 'data'
  const parts = normPath(path, root).split('/').filter(Boolean)
  let fields = def.fields || []
  const labels = []
  let field = null
  for (const part of parts) {
    const m = /^(.+?)(?:\[(\d+)\])?$/.exec(part)
    field = fields.find((f) => f.name === m[1])
    if (!field) return { label: parts.join(' / '), field: null }
    const text = pick(field.label, lang, def.default_language) || field.name
    labels.push(m[2] && field.type === 'repeat' ? `${text} 第 ${m[2]} 组` : text)
    fields = field.children || []
  }
  return { label: labels.join(' › '), field }
}

/** Every leaf answer as path -> value ('/data/x', repeat entries indexed from 1). */
export function flatten (data, prefix = '') {
  const out = {}
  for (const [k, v] of Object.entries(data || {})) {
    const p = `${prefix}/${k}`
    if (Array.isArray(v)) v.forEach((entry, i) => Object.assign(out, flatten(entry, `${p}[${i + 1}]`)))
    else if (v && typeof v === 'object') Object.assign(out, flatten(v, p))
    else out[p] = v === null || v === undefined ? '' : String(v)
  }
  return out
}

/** The answers that differ between two versions' data: [{path, before, after}] in the newer one's order. */
export function diffData (before, after) {
  const a = flatten(before)
  const b = flatten(after)
  const paths = [...Object.keys(b), ...Object.keys(a).filter((p) => !(p in b))]
  return paths.filter((p) => (a[p] || '') !== (b[p] || '') && !p.startsWith('/meta/'))
    .map((p) => ({ path: p, before: a[p] || '', after: b[p] || '' }))
}

/** Changes ready to show: each with its question's label and both answers as text. */
export function describeChanges (def, changes, lang) {
  const root = def.root || 'data'
  return (changes || []).filter((c) => {
    if (normPath(c.path, root).split('/')[0] === 'meta') return false // instanceID changes with every edit
    const { field } = labelAt(def, c.path, lang)
    return !(field && isHidden(field))
  }).map((c) => {
    const { label, field } = labelAt(def, c.path, lang)
    const text = (v) => (field ? answerText(def, field, v, lang) : (v === null || v === undefined ? '' : String(v)))
    return { path: c.path, label, before: text(c.before), after: text(c.after) }
  })
}
