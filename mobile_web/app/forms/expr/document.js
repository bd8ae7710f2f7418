// Read-only node view over a submission's JSON instance (port of document.py): groups are
// objects, repeats arrays of objects, leaves strings. Children are built lazily.
import { numberToString } from './numbers.js'

export const isDict = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/** The string OpenRosa XML would carry for a JSON leaf. */
export function xmlText (value) {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return value !== value ? '' : numberToString(value)
  if (Array.isArray(value)) return value.map(xmlText).join(' ')
  return String(value)
}

/** One element: name, parent, 1-based index among same-name siblings, document order. */
export class Node {
  constructor (name, parent, index, raw, order) {
    this.name = name
    this.parent = parent
    this.index = index
    this.raw = raw
    this.order = order
    this._kids = null
    this._byName = null
    this._text = null
  }

  /** Absolute path with indices, e.g. /data/children[2]/name. */
  path () {
    const parts = []
    for (let node = this; node !== null && node.parent !== null; node = node.parent) {
      parts.push(node.index !== 1 ? `${node.name}[${node.index}]` : node.name)
    }
    return '/' + parts.reverse().join('/')
  }

  get children () {
    if (this._kids === null) {
      const kids = []
      const raw = this.raw
      if (isDict(raw)) {
        for (const key of Object.keys(raw)) {
          const val = raw[key]
          if (Array.isArray(val) && (val.length === 0 || val.some(isDict))) {
            val.forEach((item, i) => kids.push(new Node(key, this, i + 1, item, this.order.concat(kids.length))))
          } else {
            kids.push(new Node(key, this, 1, val, this.order.concat(kids.length)))
          }
        }
      }
      this._kids = kids
    }
    return this._kids
  }

  named (name) {
    if (this._byName === null) {
      const by = new Map()
      for (const kid of this.children) {
        if (!by.has(kid.name)) by.set(kid.name, [])
        by.get(kid.name).push(kid)
      }
      this._byName = by
    }
    return this._byName.get(name) || []
  }

  get text () {
    if (this._text === null) {
      this._text = isDict(this.raw) ? this.children.map((k) => k.text).join('') : xmlText(this.raw)
    }
    return this._text
  }

  descendants () {
    const out = []
    const stack = this.children.slice().reverse()
    while (stack.length) {
      const node = stack.pop()
      out.push(node)
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i])
    }
    return out
  }
}

/** An XPath node-set: nodes in document order without duplicates. */
export class NodeSet {
  constructor (nodes) { this.nodes = nodes }
  get length () { return this.nodes.length }
  strings () { return this.nodes.map((n) => n.text) }
}

export function compareOrder (a, b) {
  const x = a.order
  const y = b.order
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return x.length - y.length
}

export function makeDocument (data) {
  return new Node('#document', null, 1, isDict(data) ? data : {}, [])
}

/** A detached empty node used when a context path points at an absent field. */
export function missingChild (parent, name, index) {
  return new Node(name, parent, index, '', parent.order.concat(1 << 30))
}
