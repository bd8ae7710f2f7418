// The admin-unit tree as the API sends it ([{code, name, level, boundary?, children}]), flattened
// once for finding a unit by code or by part of its name, with the path of names above it.

/** Map code -> {unit, path: [names from the top], parent: code|null}. */
export function indexTree (roots) {
  const index = new Map()
  const walk = (nodes, path, parent) => {
    for (const unit of nodes || []) {
      index.set(unit.code, { unit, path, parent })
      walk(unit.children, [...path, unit.name], unit.code)
    }
  }
  walk(roots, [], null)
  return index
}

/** Units whose name or code contains the text (all words of it), top levels first. */
export function findUnits (index, text) {
  const words = (text || '').trim().toLowerCase().split(/\s+/).filter(Boolean)
  if (!words.length) return []
  const out = []
  for (const entry of index.values()) {
    const hay = `${entry.unit.code} ${[...entry.path, entry.unit.name].join(' ')}`.toLowerCase()
    if (words.every((w) => hay.includes(w))) out.push(entry)
  }
  return out.sort((a, b) => a.path.length - b.path.length || a.unit.code.localeCompare(b.unit.code))
}

/** The codes from the top down to a unit (the nodes to open to show it). */
export function ancestorsOf (index, code) {
  const out = []
  let at = index.get(code)
  while (at && at.parent) { out.unshift(at.parent); at = index.get(at.parent) }
  return out
}
