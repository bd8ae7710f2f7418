// Recursive-descent parser (port of server/forms/expr/parser.py). AST nodes are plain
// objects tagged by `t`: num str ref bin neg call filter path step.
import { ExprSyntaxError } from './errors.js'
import { tokenize } from './lexer.js'

const AXES = new Set(['child', 'self', 'parent', 'descendant', 'descendant-or-self', 'attribute',
  'ancestor', 'ancestor-or-self'])

const repr = (v) => `'${v}'`

class Parser {
  constructor (text) {
    this.toks = tokenize(text)
    this.i = 0
  }

  get tok () { return this.toks[this.i] }
  isOp (...values) { const t = this.toks[this.i]; return t.kind === 'OP' && values.includes(t.value) }
  advance () { return this.toks[this.i++] }
  expectOp (value) {
    if (!this.isOp(value)) throw this.error(`expected ${repr(value)}`)
    return this.advance()
  }

  error (message) {
    const t = this.tok
    const found = t.kind === 'EOF' ? 'end of expression' : repr(t.value)
    return new ExprSyntaxError(`${message}, found ${found}`, t.pos)
  }

  parse () {
    if (this.tok.kind === 'EOF') throw new ExprSyntaxError('empty expression', 0)
    const node = this.orExpr()
    if (this.tok.kind !== 'EOF') throw this.error('unexpected token')
    return node
  }

  binary (ops, sub) {
    let left = sub()
    while (this.isOp(...ops)) {
      const op = this.advance().value
      left = { t: 'bin', op, left, right: sub() }
    }
    return left
  }

  orExpr () { return this.binary(['or'], () => this.andExpr()) }
  andExpr () { return this.binary(['and'], () => this.eqExpr()) }
  eqExpr () { return this.binary(['=', '!='], () => this.relExpr()) }
  relExpr () { return this.binary(['<', '<=', '>', '>='], () => this.addExpr()) }
  addExpr () { return this.binary(['+', '-'], () => this.mulExpr()) }
  mulExpr () { return this.binary(['*', 'div', 'mod'], () => this.unaryExpr()) }

  unaryExpr () {
    if (this.isOp('-')) {
      this.advance()
      const operand = this.unaryExpr()
      if (operand.t === 'num') return { t: 'num', value: -operand.value }
      return { t: 'neg', operand }
    }
    return this.unionExpr()
  }

  unionExpr () { return this.binary(['|'], () => this.pathExpr()) }

  pathExpr () {
    const t = this.tok
    if (['NUM', 'STR', 'REF', 'FUNC'].includes(t.kind) || (t.kind === 'OP' && t.value === '(')) {
      const base = this.filterExpr()
      if (this.isOp('/', '//')) return { t: 'path', absolute: false, steps: this.relativeSteps(true), base }
      return base
    }
    if (this.isOp('/')) {
      this.advance()
      if (this.stepStarts()) return { t: 'path', absolute: true, steps: this.relativeSteps(), base: null }
      return { t: 'path', absolute: true, steps: [], base: null }
    }
    if (this.isOp('//')) {
      this.advance()
      const steps = [step('descendant-or-self', 'node()')].concat(this.relativeSteps())
      return { t: 'path', absolute: true, steps, base: null }
    }
    if (this.stepStarts()) return { t: 'path', absolute: false, steps: this.relativeSteps(), base: null }
    throw this.error('expected an expression')
  }

  stepStarts () {
    const t = this.tok
    return t.kind === 'NAME' || t.kind === 'AXIS' || (t.kind === 'OP' && ['.', '..', '@'].includes(t.value))
  }

  filterExpr () {
    const t = this.advance()
    let base
    if (t.kind === 'NUM') base = { t: 'num', value: Number(t.value) }
    else if (t.kind === 'STR') base = { t: 'str', value: t.value }
    else if (t.kind === 'REF') {
      const name = t.value.replace(/^last-saved#/, '')
      base = name === t.value ? { t: 'ref', name } : { t: 'ref', name, lastSaved: true }
    }
    else if (t.kind === 'FUNC') base = this.callRest(t)
    else {
      base = this.orExpr()
      this.expectOp(')')
    }
    const predicates = this.predicates()
    return predicates.length ? { t: 'filter', base, predicates } : base
  }

  callRest (nameTok) {
    this.expectOp('(')
    const args = []
    if (!this.isOp(')')) {
      args.push(this.orExpr())
      while (this.isOp(',')) {
        this.advance()
        args.push(this.orExpr())
      }
    }
    if (!this.isOp(')')) throw this.error(`expected ',' or ')' in call to ${nameTok.value}()`)
    this.advance()
    return { t: 'call', name: nameTok.value, args, pos: nameTok.pos }
  }

  predicates () {
    const preds = []
    while (this.isOp('[')) {
      this.advance()
      preds.push(this.orExpr())
      this.expectOp(']')
    }
    return preds
  }

  relativeSteps (afterSlash = false) {
    const steps = []
    if (afterSlash && this.advance().value === '//') steps.push(step('descendant-or-self', 'node()'))
    steps.push(this.step())
    while (this.isOp('/', '//')) {
      if (this.advance().value === '//') steps.push(step('descendant-or-self', 'node()'))
      steps.push(this.step())
    }
    return steps
  }

  step () {
    let t = this.tok
    if (t.kind === 'OP' && t.value === '.') { this.advance(); return step('self', 'node()') }
    if (t.kind === 'OP' && t.value === '..') { this.advance(); return step('parent', 'node()') }
    let axis = 'child'
    if (t.kind === 'AXIS') {
      if (!AXES.has(t.value)) throw new ExprSyntaxError(`unsupported axis ${repr(t.value)}`, t.pos)
      axis = t.value
      this.advance()
    } else if (t.kind === 'OP' && t.value === '@') {
      axis = 'attribute'
      this.advance()
    }
    t = this.tok
    if (t.kind !== 'NAME') throw this.error('expected a node name')
    this.advance()
    let name = t.value
    if ((name === 'node' || name === 'text') && this.isOp('(')) {
      this.advance()
      this.expectOp(')')
      name = name + '()'
    }
    return step(axis, name, this.predicates())
  }
}

function step (axis, name, predicates = []) { return { t: 'step', axis, name, predicates } }

/** Parse expression text into an AST without compiling it. */
export function parseAst (text) { return new Parser(text).parse() }

/** Every node of the tree in pre-order (used to collect refs and calls). */
export function walk (node) {
  const out = []
  const stack = [node]
  while (stack.length) {
    const cur = stack.pop()
    out.push(cur)
    const kids = cur.t === 'bin' ? [cur.left, cur.right]
      : cur.t === 'neg' ? [cur.operand]
        : cur.t === 'call' ? cur.args
          : cur.t === 'filter' ? [cur.base, ...cur.predicates]
            : cur.t === 'path' ? (cur.base ? [cur.base, ...cur.steps] : cur.steps)
              : cur.t === 'step' ? cur.predicates : []
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i])
  }
  return out
}
