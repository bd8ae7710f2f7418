// Evaluation context (port of context.py): the instance tree, the ${name} map, time zone,
// clock and choices. Build one per submission and re-point it per field with at(path);
// the document, its lazily built nodes and settings are shared.
import { DEFAULT_TZ_NAME, getTz, inZone, parseDatetime } from './dates.js'
import { isDict, makeDocument, missingChild, NodeSet } from './document.js'
import { UnknownReferenceError } from './errors.js'

const STEP_RE = /^([^[\]]+)(?:\[(\d+)\])?$/
const splitCache = new Map()

/** '/data/rep[2]/x' -> [['data', 0], ['rep', 2], ['x', 0]] (0: no index given). */
export function splitPath (path) {
  let hit = splitCache.get(path)
  if (hit) return hit
  hit = []
  for (const part of path.trim().replace(/^\/+|\/+$/g, '').split('/')) {
    if (!part) continue
    const m = STEP_RE.exec(part.trim())
    if (!m) throw new Error(`invalid path step '${part}' in '${path}'`)
    hit.push([m[1], m[2] ? Number(m[2]) : 0])
  }
  if (splitCache.size > 4096) splitCache.clear()
  splitCache.set(path, hit)
  return hit
}

const namesOf = (path) => splitPath(path).map((s) => s[0])

function normaliseContext (context, root) {
  if (context === null || context === undefined) return [[root, 1]]
  const raw = typeof context === 'string' ? splitPath(context)
    : Array.from(context, (s) => typeof s === 'string' ? [s, 0] : [s[0], Number(s[1])])
  return raw.map(([name, idx]) => [name, idx || 1])
}

function guessRoot (data, refs) {
  for (const path of Object.values(refs || {})) {
    const steps = splitPath(path)
    if (steps.length) return steps[0][0]
  }
  if (isDict(data)) {
    const keys = Object.keys(data)
    if (keys.length === 1 && isDict(data[keys[0]])) return keys[0]
  }
  return 'data'
}

/** The system clock: epoch milliseconds. */
export const systemClock = () => Date.now()

class Shared {
  constructor (opts, root) {
    let data = opts.data === undefined || opts.data === null ? {} : opts.data
    if (!(isDict(data) && Object.keys(data).length === 1 && root in data)) data = { [root]: isDict(data) ? data : {} }
    this.root = root
    this.doc = makeDocument(data)
    this.refs = opts.refs || {}
    this.tz = getTz(opts.tz || DEFAULT_TZ_NAME)
    this.tzName = typeof opts.tz === 'string' ? opts.tz : this.tz.name
    this.clock = opts.clock || systemClock
    this.choices = opts.choices || {}
    this.fieldLists = opts.field_lists || opts.fieldLists || {}
    this.repeats = new Set(Array.from(opts.repeats || [], (p) => namesOf(p).join('/')))
    this.virtual = new Map()
    this.pathNames = null
    this.instances = opts.instances || {}
    this.instanceDocs = new Map()
  }
}

/**
 * Where and with what an expression is evaluated.
 * new EvalContext({data, refs, context, root, tz, clock, choices, field_lists, repeats, instances});
 * instances: secondary instance id -> JSON tree ({root: {item: [...]}}) or a bare item list.
 * clock() returns a Date, epoch milliseconds or an ISO dateTime string (no offset: in tz).
 */
export class EvalContext {
  constructor (opts = {}, shared = null) {
    if (shared === null) shared = new Shared(opts, opts.root || guessRoot(opts.data, opts.refs))
    this._s = shared
    this.tz = shared.tz
    this.steps = normaliseContext(opts.context, shared.root)
    this._node = null
    this._refcache = new Map()
  }

  /** A context for another field of the same submission (shares document and settings). */
  at (context) { return new EvalContext({ context }, this._s) }

  get root () { return this._s.root }
  get tzName () { return this._s.tzName }
  get document () { return this._s.doc }

  /** The clock's current time as a dateTime in the evaluation time zone. */
  now () {
    const v = this._s.clock()
    if (typeof v === 'string') return inZone(parseDatetime(v, this.tz), this.tz)
    const ms = v instanceof Date ? v.getTime() : Number(v)
    const sec = Math.floor(ms / 1000)
    return inZone({ dt: true, sec, us: Math.round((ms - sec * 1000) * 1000), off: 0 }, this.tz)
  }

  /** Label of a choice value for a select field ('' when unknown). */
  choiceLabel (field, value) {
    const listName = this._s.fieldLists[field] || field
    const list = this._s.choices[listName] || {}
    const label = Object.prototype.hasOwnProperty.call(list, value) ? list[value] : null
    if (label === null || label === undefined) return ''
    if (isDict(label)) {
      for (const key of ['default', 'label']) if (key in label) return String(label[key])
      const first = Object.values(label)[0]
      return first === undefined ? '' : String(first)
    }
    return String(label)
  }

  /** Reverse ${name} lookup: the field name whose absolute path is `path`. */
  nameForPath (path) {
    let names = this._s.pathNames
    if (names === null) {
      names = new Map()
      for (const [k, p] of Object.entries(this._s.refs)) names.set('/' + namesOf(p).join('/'), k)
      this._s.pathNames = names
    }
    const hit = names.get('/' + namesOf(path).join('/'))
    return hit === undefined ? null : hit
  }

  /** The context node (a detached empty node if the context path is absent from the data). */
  get node () {
    if (this._node === null) {
      let node = this._s.doc
      for (const [name, idx] of this.steps) {
        const found = node.named(name)
        node = idx <= found.length ? found[idx - 1] : this._virtual(node, name, idx)
      }
      this._node = node
    }
    return this._node
  }

  _virtual (parent, name, idx) {
    let byParent = this._s.virtual.get(parent)
    if (!byParent) this._s.virtual.set(parent, byParent = new Map())
    const key = name + '#' + idx
    let node = byParent.get(key)
    if (!node) byParent.set(key, node = missingChild(parent, name, idx))
    return node
  }

  /** The document node of a secondary instance (null when the context lacks it). */
  instanceDocument (id) {
    const docs = this._s.instanceDocs
    let doc = docs.get(id)
    if (!doc) {
      let raw = Object.prototype.hasOwnProperty.call(this._s.instances, id) ? this._s.instances[id] : null
      if (raw === null || raw === undefined) return null
      if (Array.isArray(raw)) raw = { root: { item: raw } } // a bare item list, as an entity list gives it
      doc = makeDocument(raw)
      docs.set(id, doc)
    }
    return doc
  }

  /** Absolute element names of a ${name} reference. */
  refPath (name) {
    const path = Object.prototype.hasOwnProperty.call(this._s.refs, name) ? this._s.refs[name] : undefined
    if (path === undefined || path === null) throw new UnknownReferenceError(`unknown reference \${${name}}`)
    return namesOf(path)
  }

  /** Nodes a ${name} denotes here: same-instance sibling inside a repeat, else all instances. */
  resolveRef (name) {
    let hit = this._refcache.get(name)
    if (!hit) {
      hit = this.resolveNames(this.refPath(name), null, true)
      this._refcache.set(name, hit)
    }
    return hit
  }

  /** Per step, the repeat index shared with the context path (0 = all instances). */
  contextualIndices (names) {
    const out = new Array(names.length).fill(0)
    const steps = this.steps
    const n = Math.min(names.length - 1, steps.length)
    for (let i = 0; i < n; i++) {
      if (steps[i][0] !== names[i]) break
      out[i] = steps[i][1]
    }
    return out
  }

  /** Walk an absolute name path, binding steps to the given (or contextual) repeat indices. */
  resolveNames (names, indices = null, virtual = false) {
    if (indices === null) indices = this.contextualIndices(names)
    let nodes = [this._s.doc]
    for (let depth = 0; depth < names.length; depth++) {
      const name = names[depth]
      const idx = indices[depth]
      const nxt = []
      for (const node of nodes) {
        const found = node.named(name)
        if (idx) {
          if (idx <= found.length) nxt.push(found[idx - 1])
          else if (virtual && !found.length && !this._isRepeat(node, names.slice(0, depth + 1))) {
            nxt.push(this._virtual(node, name, 1))
          }
        } else if (found.length) {
          for (const f of found) nxt.push(f)
        } else if (virtual && !this._isRepeat(node, names.slice(0, depth + 1))) {
          nxt.push(this._virtual(node, name, 1))
        }
      }
      nodes = nxt
      if (!nodes.length) break
    }
    return new NodeSet(nodes)
  }

  _isRepeat (parent, names) {
    if (this._s.repeats.has(names.join('/'))) return true
    const raw = parent.raw
    return isDict(raw) && Array.isArray(raw[names[names.length - 1]])
  }
}

/** Per-evaluation cursor: the context, the current node and its position/size in a predicate. */
export class Frame {
  constructor (c, node, pos = 1, size = 1) {
    this.c = c
    this.node = node
    this.pos = pos
    this.size = size
  }
}
