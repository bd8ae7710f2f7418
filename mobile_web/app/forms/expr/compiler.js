// Compile AST nodes into closures f(frame) -> value (port of compiler.py): parsing and
// compiling happen once per expression text; evaluation is then plain calls.
import { compare, toBoolean, toNumber } from './coercion.js'
import { Frame } from './context.js'
import { compareOrder, NodeSet } from './document.js'
import { ArityError, ExprError, ExprTypeError, UnknownFunctionError } from './errors.js'
import { arityProblem, FUNCTIONS } from './registry.js'

/** Compile one AST node (recursively) to a closure. */
export function compileNode (node) {
  switch (node.t) {
    case 'num': { const v = node.value; return () => v }
    case 'str': { const v = node.value; return () => v }
    case 'ref': {
      const name = node.name
      // ${last-saved#name}: the device's last saved submission, not kept here (as on a first fill in Collect)
      if (node.lastSaved) return () => new NodeSet([])
      return (fr) => fr.c.resolveRef(name)
    }
    case 'bin': return compileBinop(node)
    case 'neg': { const inner = compileNode(node.operand); return (fr) => -toNumber(inner(fr), fr.c.tz) }
    case 'call': return compileCall(node)
    case 'filter': {
      const base = compileNode(node.base)
      const preds = node.predicates.map(compilePredicate)
      return (fr) => {
        let nodes = needNodes(base(fr), 'a predicate')
        for (const pred of preds) nodes = pred(fr, nodes)
        return new NodeSet(nodes)
      }
    }
    case 'path': return compilePath(node)
  }
  throw new TypeError(`unknown AST node ${node.t}`)
}

function describe (v) {
  const type = typeof v === 'string' ? 'str' : typeof v === 'number' ? 'float' : typeof v === 'boolean' ? 'bool' : typeof v
  return `${type} ${typeof v === 'string' ? `'${v}'` : String(v)}`
}

/** The nodes of a node-set value, or an ExprTypeError naming where one was needed. */
export function needNodes (value, where) {
  if (value instanceof NodeSet) return value.nodes
  throw new ExprTypeError(`${where} needs a node-set, got ${describe(value)}`)
}

const ARITH = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  div: (a, b) => a / b,
  mod: (a, b) => (b === 0 || a !== a || b !== b || !isFinite(a)) ? NaN : (!isFinite(b) ? a : a % b)
}

function compileBinop (node) {
  const op = node.op
  const left = compileNode(node.left)
  const right = compileNode(node.right)
  if (op === 'or') return (fr) => toBoolean(left(fr)) || toBoolean(right(fr))
  if (op === 'and') return (fr) => toBoolean(left(fr)) && toBoolean(right(fr))
  if (['=', '!=', '<', '<=', '>', '>='].includes(op)) return (fr) => compare(op, left(fr), right(fr), fr.c.tz)
  if (op === '|') return (fr) => unionNodes(needNodes(left(fr), "'|'"), needNodes(right(fr), "'|'"))
  const arith = ARITH[op]
  return (fr) => arith(toNumber(left(fr), fr.c.tz), toNumber(right(fr), fr.c.tz))
}

/** Union of node lists in document order without duplicates. */
export function unionNodes (a, b) {
  const seen = new Set()
  const out = []
  for (const n of a.concat(b)) {
    if (!seen.has(n)) { seen.add(n); out.push(n) }
  }
  out.sort(compareOrder)
  return new NodeSet(out)
}

function compileCall (node) {
  const spec = FUNCTIONS.get(node.name)
  if (!spec) return () => { throw new UnknownFunctionError(`unknown function ${node.name}()`) }
  const problem = arityProblem(spec, node.args.length)
  if (problem !== null) return () => { throw new ArityError(problem) }
  const args = node.args.map(compileNode)
  if (spec.special) return spec.special(node.args, args)
  const impl = spec.impl
  if (spec.lazy) return (fr) => impl(fr, ...args)
  if (args.length === 0) return (fr) => impl(fr)
  if (args.length === 1) { const a0 = args[0]; return (fr) => impl(fr, a0(fr)) }
  if (args.length === 2) { const [a0, a1] = args; return (fr) => impl(fr, a0(fr), a1(fr)) }
  return (fr) => impl(fr, ...args.map((a) => a(fr)))
}

function compilePredicate (pred) {
  if (pred.t === 'num') {
    const want = pred.value
    return (fr, nodes) => {
      const i = Math.trunc(want)
      return i === want && i >= 1 && i <= nodes.length ? [nodes[i - 1]] : []
    }
  }
  const test = compileNode(pred)
  return (fr, nodes) => {
    const size = nodes.length
    const out = []
    nodes.forEach((n, i) => {
      const v = test(new Frame(fr.c, n, i + 1, size))
      if (typeof v === 'number' ? v === i + 1 : toBoolean(v)) out.push(n)
    })
    return out
  }
}

const nameOk = (node, name) => name === '*' || name === 'node()' || node.name === name

function axisNodes (node, step) {
  const { axis, name } = step
  switch (axis) {
    case 'child':
      if (name === '*' || name === 'node()') return node.children
      if (name === 'text()') return node.raw !== null && typeof node.raw === 'object' && !Array.isArray(node.raw) ? [] : [node]
      return node.named(name)
    case 'self': return nameOk(node, name) ? [node] : []
    case 'parent': return node.parent !== null && nameOk(node.parent, name) ? [node.parent] : []
    case 'descendant':
    case 'descendant-or-self': {
      const found = node.descendants().filter((d) => nameOk(d, name))
      if (axis === 'descendant-or-self' && nameOk(node, name)) found.unshift(node)
      return found
    }
    case 'ancestor':
    case 'ancestor-or-self': {
      const chain = []
      for (let cur = axis === 'ancestor-or-self' ? node : node.parent; cur !== null; cur = cur.parent) {
        if (nameOk(cur, name)) chain.push(cur)
      }
      return chain.reverse()
    }
  }
  return [] // attribute axis: instances carry no attributes here
}

function compileStep (step) {
  const preds = step.predicates.map(compilePredicate)
  const distinct = ['child', 'self', 'attribute'].includes(step.axis)
  return (fr, nodes) => {
    if (nodes.length === 1) {
      let out = axisNodes(nodes[0], step)
      for (const pred of preds) out = pred(fr, out)
      return out
    }
    let out = []
    for (const node of nodes) {
      let found = axisNodes(node, step)
      for (const pred of preds) found = pred(fr, found)
      out = out.concat(found)
    }
    if (!distinct && out.length > 1) return unionNodes(out, []).nodes
    return out
  }
}

function compilePath (node) {
  const steps = node.steps
  if (node.absolute && steps.length &&
      steps.every((s) => s.axis === 'child' && !['*', 'node()', 'text()'].includes(s.name))) {
    return compileAbsoluteNames(steps)
  }
  const compiled = steps.map(compileStep)
  const base = node.base ? compileNode(node.base) : null
  const absolute = node.absolute
  return (fr) => {
    let nodes
    if (base !== null) nodes = needNodes(base(fr), 'a path step')
    else if (absolute) nodes = [fr.c.document]
    else nodes = [fr.node]
    for (const step of compiled) {
      if (!nodes.length) break
      nodes = step(fr, nodes)
    }
    return new NodeSet(nodes)
  }
}

/** /data/group/field: bind unpredicated repeat steps to the context's instance, as JavaRosa does. */
function compileAbsoluteNames (steps) {
  const names = steps.map((s) => s.name)
  const preds = steps.map((s) => s.predicates.map(compilePredicate))
  const plain = steps.every((s) => !s.predicates.length)
  return (fr) => {
    const c = fr.c
    const indices = c.contextualIndices(names)
    if (plain) return c.resolveNames(names, indices)
    let nodes = [c.document]
    for (let depth = 0; depth < names.length; depth++) {
      const idx = preds[depth].length ? 0 : indices[depth]
      let nxt = []
      for (const n of nodes) {
        let found = n.named(names[depth])
        if (idx) found = idx <= found.length ? [found[idx - 1]] : []
        for (const pred of preds[depth]) found = pred(fr, found)
        nxt = nxt.concat(found)
      }
      nodes = nxt
      if (!nodes.length) break
    }
    return new NodeSet(nodes)
  }
}

/** Run a compiled closure against an EvalContext. */
export function evaluateCompiled (fn, c) {
  try {
    return fn(new Frame(c, c.node, 0, 0)) // pos 0: not inside a predicate
  } catch (e) {
    if (e instanceof ExprError) throw e
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new ExprError('expression nested too deeply')
    throw e
  }
}
