// What changed between two compiled versions of a form: questions added, removed and changed
// (keyed by their path in the instance), and for a changed question which settings differ.
// A select question whose choice list changed counts as changed ("choices").

/** The settings of a question compared between versions, in the order they are shown. */
export const COMPARED = ['type', 'label', 'hint', 'required', 'required_message', 'relevant', 'constraint',
  'constraint_message', 'calculation', 'default', 'read_only', 'appearance', 'list_name', 'choice_filter',
  'repeat_count', 'save_to', 'datatype']

/** Every field of a definition (groups and repeats too), in form order, by path. */
export function flatten (def) {
  const out = new Map()
  const visit = (fields) => (fields || []).forEach((f) => {
    out.set(f.path || f.name, f)
    visit(f.children)
  })
  visit(def && def.fields)
  return out
}

const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
function canonical (v) {
  if (v === undefined || v === '' || v === false) return null
  if (Array.isArray(v)) return v.map(canonical)
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]))
  return v
}

/** {added, removed, changed}: added/removed are fields; changed are {field, before, changes: [{key, before, after}]}. */
export function diffForms (older, newer) {
  const a = flatten(older)
  const b = flatten(newer)
  const added = [...b.entries()].filter(([p]) => !a.has(p)).map(([, f]) => f)
  const removed = [...a.entries()].filter(([p]) => !b.has(p)).map(([, f]) => f)
  const changed = []
  for (const [path, after] of b) {
    const before = a.get(path)
    if (!before) continue
    const changes = COMPARED.filter((k) => !same(before[k], after[k]))
      .map((k) => ({ key: k, before: before[k], after: after[k] }))
    const listA = before.list_name && ((older.choices || {})[before.list_name])
    const listB = after.list_name && ((newer.choices || {})[after.list_name])
    if ((listA || listB) && !same(listA, listB)) changes.push({ key: 'choices', before: listA || [], after: listB || [] })
    if (changes.length) changed.push({ field: after, before, changes })
  }
  return { added, removed, changed }
}

/** A setting's value as short text for the diff table: texts by language, booleans, choice lists. */
export function settingText (value, lang) {
  if (value === null || value === undefined || value === '' || value === false) return '—'
  if (value === true) return '是'
  if (Array.isArray(value)) return value.map((c) => (c && c.name !== undefined ? `${c.name}=${textOf(c.label, lang)}` : String(c))).join('；')
  if (typeof value === 'object') return textOf(value, lang)
  return String(value)
}

function textOf (texts, lang) {
  if (!texts || typeof texts !== 'object') return texts ? String(texts) : ''
  const keys = Object.keys(texts)
  if (lang && texts[lang] !== undefined) return texts[lang]
  return keys.map((k) => (keys.length > 1 ? `${k}: ${texts[k]}` : texts[k])).join(' / ')
}
