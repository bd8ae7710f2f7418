// The form being filled, without the DOM: instance data, calculations, relevance, required,
// read-only, constraints, choice filters, repeat counts and pages, all evaluated with the
// same expression engine and rules the server re-checks (server/forms/validator.py).
import { DEFAULT_TZ_NAME, EvalContext, evaluate, ExprError, toBoolean, toString } from './expr.js'
import { clone, emptyContent, getValue, GROUPS, META_TYPES, repeatEntries, setValue, walk } from './instance.js'
import { formatValue } from './values.js'
import { residentIdProblem } from './resident_id.js'

const VOLATILE = new Set(['now', 'today', 'uuid', 'random', 'once'])
const HIDDEN = new Set(['calculate', ...META_TYPES, 'hidden', 'xml-external', 'csv-external'])
const INT_RE = /^[+-]?\d+$/
const DEC_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

export const isHidden = (f) => HIDDEN.has(f.type) || (f.name === 'meta' && f.type === 'group')

function labelText (label, lang) {
  if (label && typeof label === 'object') return String(label[lang] || Object.values(label)[0] || '')
  return String(label || '')
}

/** Define obj[key] computed by make() on first read (then kept). */
function lazy (obj, key, make) {
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get () {
      const value = make()
      Object.defineProperty(obj, key, { value, enumerable: true })
      return value
    }
  })
}

export class FormModel {
  /**
   * def: compiled form; opts: {data, instanceID, now() -> ms, tz, deviceId, username,
   * external: {list_name: rows}} (rows of select_one_from_file lists such as 'persons.csv').
   */
  constructor (def, opts = {}) {
    this.def = def
    this.root = def.root || 'data'
    this.tz = opts.tz || DEFAULT_TZ_NAME
    this.now = opts.now || (() => Date.now())
    this.opts = opts
    this.errors = {}
    const lang = def.default_language || 'default'
    this.choiceLabels = {}
    this.instances = {}
    this.lists = Object.assign({}, def.choices || {}, opts.external || {})
    for (const [list, rows] of Object.entries(this.lists)) { // built on first use: lists can be long
      lazy(this.choiceLabels, list, () => Object.fromEntries(rows.map((r) => [r.name, r.label || {}])))
      const items = () => rows.map((r) => Object.fromEntries(Object.entries(r)
        .filter(([k]) => k !== 'media').map(([k, v]) => [k, labelText(v, lang)])))
      lazy(this.instances, list, items)
      if (/\.csv$/i.test(list)) lazy(this.instances, list.replace(/\.csv$/i, ''), items)
    }
    this.fieldLists = {}
    const refs = def.refs || {}
    const addLists = (fields, parent) => {
      for (const field of fields) {
        const path = field.path || parent + '/' + field.name
        // a name used in several groups names none of them (it has no ref)
        if (field.list_name && refs[field.name] === path) this.fieldLists[field.name] = field.list_name
        if (field.children) addLists(field.children, path)
      }
    }
    addLists(def.fields, '/' + this.root)
    this.data = opts.data ? clone(opts.data) : this.initialData()
    if (!opts.data) this.fillDynamicDefaults('')
    this.refresh()
  }

  /** Fresh content: defaults, meta values and one entry per repeat without repeat_count. */
  initialData () {
    const data = emptyContent(this.def.fields, (f) => this.initialValue(f), 0)
    const meta = this.def.fields.find((f) => f.name === 'meta' && f.type === 'group')
    if (meta && this.opts.instanceID && (meta.children || []).some((c) => c.name === 'instanceID')) {
      data.meta.instanceID = 'uuid:' + this.opts.instanceID
    }
    return data
  }

  initialValue (f) {
    switch (f.type) {
      case 'start': return formatValue('dateTime', this.now(), this.tz)
      case 'today': return formatValue('date', this.now(), this.tz)
      case 'deviceid': return this.opts.deviceId || ''
      case 'username': return this.opts.username || ''
    }
    const d = f.default
    if (d === null || d === undefined || d === '' || isDynamic(d)) return ''
    return String(d)
  }

  /** Evaluate defaults such as today() or ${other} for new, still empty answers under prefix. */
  fillDynamicDefaults (prefix) {
    for (const { field, path } of walk(this.def.fields, this.data, '/' + this.root)) {
      if (!path.startsWith(prefix) || !field.default || !isDynamic(field.default) || GROUPS.has(field.type)) continue
      if (this.get(path) !== '') continue
      const v = this.eval(String(field.default), path, '')
      setValue(this.data, path, v === null ? '' : toString(v))
      this.changed()
    }
  }

  /** An EvalContext over the current data, rebuilt after every change (nodes cache their text). */
  context () {
    if (!this._ctx) {
      this._ctx = new EvalContext({
        data: { [this.root]: this.data },
        refs: this.def.refs || {},
        root: this.root,
        repeats: this.def.repeats || [],
        tz: this.tz,
        clock: this.now,
        choices: this.choiceLabels,
        field_lists: this.fieldLists,
        instances: this.instances
      })
    }
    return this._ctx
  }

  changed () { this._ctx = null }

  /** Evaluate expression text at a concrete path; an expression error counts as fallback. */
  eval (text, path, fallback = null) {
    try {
      return evaluate(text, this.context().at(path))
    } catch (e) {
      if (!(e instanceof ExprError)) throw e
      if (typeof console !== 'undefined') console.warn(`expression failed at ${path}: ${text}: ${e.message}`)
      return fallback
    }
  }

  get (path) { return getValue(this.data, path) }

  /** Set an answer and recompute everything that may depend on it. */
  set (path, value) {
    setValue(this.data, path, value)
    this.changed()
    delete this.errors[path]
    this.refresh()
  }

  addRepeat (field, path) {
    const entries = repeatEntries(this.data, path)
    entries.push(emptyContent(field.children || [], (f) => this.initialValue(f), 0))
    this.changed()
    this.fillDynamicDefaults(`${path}[${entries.length}]/`)
    this.refresh()
  }

  removeRepeat (path, index) {
    repeatEntries(this.data, path).splice(index - 1, 1)
    this.errors = {}
    this.changed()
    this.refresh()
  }

  /** Recompute calculations, repeat counts and filtered selects, then relevance and flags. */
  refresh () {
    for (let pass = 0; pass < 4; pass++) {
      if (!this.applyRules()) break
    }
    const state = {}
    for (const { field, path, parent } of walk(this.def.fields, this.data, '/' + this.root)) {
      const parentState = parent ? state[parent] : null
      const inherited = parentState ? parentState.relevant : true
      const relevant = inherited && (!field.relevant || toBoolean(this.eval(field.relevant, path, true)))
      state[path] = {
        relevant,
        required: relevant && this.flag(field.required, path),
        readOnly: (parentState && parentState.readOnly) || this.flag(field.read_only, path) || !!field.calculation
      }
    }
    this.state = state
  }

  flag (value, path) {
    if (value === true || value === false || value === null || value === undefined) return !!value
    return toBoolean(this.eval(String(value), path, false))
  }

  /** One pass of value rules; true when something changed. */
  applyRules () {
    let changed = false
    for (const { field, path } of walk(this.def.fields, this.data, '/' + this.root)) {
      if (field.type === 'repeat' && field.repeat_count) {
        const n = Math.max(0, Math.min(100, Math.trunc(Number(toString(this.eval(field.repeat_count, path.replace(/\/[^/]+$/, ''), '0')))) || 0))
        const entries = repeatEntries(this.data, path)
        if (entries.length !== n) {
          const before = entries.length
          while (entries.length < n) entries.push(emptyContent(field.children || [], (f) => this.initialValue(f), 0))
          entries.length = n
          this.changed()
          for (let i = before + 1; i <= n; i++) this.fillDynamicDefaults(`${path}[${i}]/`)
          this.changed()
          changed = true
        }
      }
      if (field.calculation && !GROUPS.has(field.type)) {
        const current = this.get(path)
        const expr = field.calculation
        if (current !== '' && isVolatileOnly(expr)) continue
        if (field.trigger && field.trigger.length && !this.triggered(field, path)) continue
        const value = this.eval(expr, path, '')
        const text = value === null ? '' : toString(value)
        if (text !== current) { setValue(this.data, path, text); this.changed(); changed = true }
      }
      if ((field.choice_filter || field.choices_from) && /^select_(one|multiple)/.test(field.type)) {
        const current = this.get(path)
        if (current === '') continue
        const allowed = new Set(this.choices(field, path).map((c) => c.name))
        const kept = current.split(/\s+/).filter((v) => allowed.has(v)).join(' ')
        if (kept !== current) { setValue(this.data, path, kept); this.changed(); changed = true }
      }
    }
    return changed
  }

  /** For calculations with a trigger: true when a trigger field changed since last seen. */
  triggered (field, path) {
    this.triggerSeen = this.triggerSeen || {}
    const key = field.trigger.map((name) => toString(this.eval('${' + name + '}', path, ''))).join('\u0000')
    const seen = this.triggerSeen[path]
    this.triggerSeen[path] = key
    return seen !== undefined && seen !== key
  }

  /** The choices a select offers at path, after its choice_filter. */
  choices (field, path) {
    if (field.choices_from) return this.repeatChoices(field, path)
    const rows = this.lists[field.list_name] || []
    if (!field.choice_filter) return rows
    const terms = simpleTerms(field.choice_filter)
    if (terms) { // column = ${ref} [and …]: compare directly, as the server's plan does
      const want = terms.map(([col, ref, lit]) => [col, ref ? toString(this.eval('${' + ref + '}', path, '')) : lit])
      const lang = this.def.default_language || 'default'
      return rows.filter((r) => want.every(([col, v]) => labelText(r[col], lang) === v))
    }
    const result = this.eval(`instance('${field.list_name}')/root/item[${field.choice_filter}]/name`, path, null)
    if (!result || !result.nodes) return []
    const names = new Set(result.nodes.map((n) => n.text))
    return rows.filter((r) => names.has(String(r.name)))
  }

  /** select_one ${question}: the distinct answers given so far in the question's repeat, labelled by themselves. */
  repeatChoices (field, path) {
    const expr = repeatItemset(field.choices_from, this.def.repeats || [], this.def.refs || {}, field.choice_filter)
    const result = this.eval(expr, path, null)
    const lang = this.def.default_language || 'default'
    const seen = new Set()
    const rows = []
    for (const node of (result && result.nodes) || []) {
      const value = node.text
      if (value === '' || seen.has(value)) continue
      seen.add(value)
      rows.push({ name: value, label: { [lang]: value } })
    }
    return rows
  }

  /** Check relevant, visible fields (all, or those under a set of top-level fields); returns errors. */
  validate (fields = this.def.fields) {
    const top = new Set(fields.map((f) => f.name))
    const errors = {}
    for (const { field, path } of walk(this.def.fields, this.data, '/' + this.root)) {
      const st = this.state[path]
      const topName = path.split('/')[2].replace(/\[\d+\]$/, '')
      if (!top.has(topName) || !st || !st.relevant || GROUPS.has(field.type) || isHidden(field)) continue
      const msg = this.check(field, path, st)
      if (msg) errors[path] = msg
    }
    this.errors = Object.assign({}, this.errors, errors)
    for (const key of Object.keys(this.errors)) if (!errors[key] && isUnder(key, fields, this.root)) delete this.errors[key]
    return errors
  }

  /** The problem with one answer: a message object {key, text} or null. */
  check (field, path, st = this.state[path]) {
    const value = String(this.get(path)).trim()
    if (value === '') return st.required ? { key: 'required', text: field.required_message } : null
    if (field.type === 'integer' && !INT_RE.test(value)) return { key: 'badInteger' }
    if (field.type === 'decimal' && !DEC_RE.test(value)) return { key: 'badDecimal' }
    if (field.datatype === 'cn_resident_id') {
      const problem = residentIdProblem(value)
      if (problem) return { key: 'residentId_' + problem }
    }
    if (field.constraint && !toBoolean(this.eval(field.constraint, path, true))) {
      return { key: 'invalid', text: field.constraint_message }
    }
    return null
  }

  /** Pages: each top-level group or repeat, and each run of plain questions between them. */
  pages () {
    const pages = []
    let run = []
    for (const f of this.def.fields) {
      if (isHidden(f)) continue
      if (GROUPS.has(f.type)) {
        if (run.length) pages.push(run)
        run = []
        pages.push([f])
      } else run.push(f)
    }
    if (run.length) pages.push(run)
    return pages
  }

  /** A page is shown when one of its fields is relevant. */
  pageRelevant (fields) {
    return fields.some((f) => { const st = this.state['/' + this.root + '/' + f.name]; return !st || st.relevant })
  }

  /** The data to submit: non-relevant answers emptied, end time stamped. */
  finalData () {
    const out = clone(this.data)
    for (const { field, path } of walk(this.def.fields, out, '/' + this.root)) {
      const st = this.state[path]
      if (field.type === 'end') setValue(out, path, formatValue('dateTime', this.now(), this.tz))
      else if (st && !st.relevant && !GROUPS.has(field.type)) setValue(out, path, '')
      else if (st && !st.relevant && field.type === 'repeat') repeatEntries(out, path).length = 0
    }
    return out
  }
}

const REF = /\$\{\s*([^\s{}]+?)\s*\}/g

/**
 * Expression of the choices of select_one ${question} (port of server/forms/plan.py repeat_itemset):
 * the question's repeat entries, [./question != ''] or [choice_filter] with the filter's references to
 * the repeat's own questions made relative to each entry, then the question itself.
 */
export function repeatItemset (question, repeats, refs, filter) {
  const repeat = repeats.filter((r) => question.startsWith(r + '/')).sort((a, b) => b.length - a.length)[0] ||
    question.replace(/\/[^/]+$/, '')
  const rel = question.slice(repeat.length + 1)
  const repeatName = repeat.split('/').pop()
  const base = refs[repeatName] === repeat ? '${' + repeatName + '}' : repeat
  if (!filter) return `${base}[./${rel} != '']/${rel}`
  const relative = filter.replace(REF, (whole, name) => {
    const target = refs[name] || ''
    return target.startsWith(repeat + '/') ? ' ./' + target.slice(repeat.length + 1) + ' ' : whole
  })
  return `${base}[${relative}]/${rel}`
}

const TERM = /^\s*([A-Za-z_][\w.-]*)\s*=\s*(?:\$\{\s*([\w.-]+)\s*\}|'([^']*)'|"([^"]*)")\s*$/

/** 'col = ${ref} and col2 = 'x'' -> [[col, ref, null], [col2, null, 'x']], or null if not that simple. */
export function simpleTerms (text) {
  const parts = text.split(/\s+and\s+/)
  const out = []
  for (const part of parts) {
    const m = TERM.exec(part)
    if (!m) return null
    out.push([m[1], m[2] || null, m[2] ? null : (m[3] !== undefined ? m[3] : m[4])])
  }
  return out
}

/** A default that is an expression (today(), ${name}…) rather than a literal answer. */
const isDynamic = (d) => /[(]|\$\{/.test(String(d))

const VOLATILE_CALL = new RegExp(`(^|[^\\w-])(${[...VOLATILE].join('|')})\\s*\\(`)

/** A calculation with no ${refs} that calls now()/uuid()/…: computed once, then kept. */
function isVolatileOnly (text) {
  return VOLATILE_CALL.test(text) && !text.includes('${')
}

function isUnder (path, fields, root) {
  const name = path.split('/')[2] ? path.split('/')[2].replace(/\[\d+\]$/, '') : ''
  return fields.some((f) => f.name === name) && path.startsWith('/' + root + '/')
}
