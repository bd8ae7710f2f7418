// gridreg's XLSForm/ODK XPath expression engine for the offline client: a port of the
// server's server/forms/expr (same semantics, checked by tests/vectors/expressions.json).
//
// parse(text) -> Expr {text, ast, refs: Set, functions: Set} (cached; throws ExprSyntaxError)
// evaluate(expr | text, ctx) -> string | number | boolean | NodeSet (synchronous)
// new EvalContext({data, refs, context, root, tz, clock, choices, field_lists, repeats, instances});
// ctx.at(path) re-points it at another field of the same submission.
// toString / toNumber / toBoolean / typeName / numberToString: XPath 1.0 coercions.
// checkFunctions(expr) / checkCalls(expr): unknown names and arity problems, found up front.
import { compileNode, evaluateCompiled } from './expr/compiler.js'
import { parseAst, walk } from './expr/parser.js'
import { arityProblem, FUNCTIONS } from './expr/registry.js'
import { ExprSyntaxError } from './expr/errors.js'
import './expr/functions_core.js'
import './expr/functions_math.js'
import './expr/functions_odk.js'
import './expr/functions_time.js'

export { EvalContext } from './expr/context.js'
export { Node, NodeSet } from './expr/document.js'
export { numberToString, toBoolean, toNumber, toString, typeName } from './expr/coercion.js'
export { DEFAULT_TZ_NAME } from './expr/dates.js'
export {
  ArityError, ExprError, ExprSyntaxError, ExprTypeError, UnknownFunctionError, UnknownReferenceError
} from './expr/errors.js'
export { uuid4 } from './expr/functions_odk.js'

export const KNOWN_FUNCTIONS = new Set(FUNCTIONS.keys())

const CACHE_SIZE = 8192
const cache = new Map()

/** Parse and compile an expression, memoised; throws ExprSyntaxError(message, position). */
export function parse (text) {
  if (typeof text !== 'string') throw new TypeError('expression text must be a string')
  let expr = cache.get(text)
  if (expr) return expr
  let ast, fn
  try {
    ast = parseAst(text)
    fn = compileNode(ast)
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new ExprSyntaxError('expression nested too deeply', 0)
    throw e
  }
  const nodes = walk(ast)
  expr = Object.freeze({
    text,
    ast,
    refs: new Set(nodes.filter((n) => n.t === 'ref').map((n) => n.name)),
    functions: new Set(nodes.filter((n) => n.t === 'call').map((n) => n.name)),
    fn,
    toString () { return text }
  })
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value)
  cache.set(text, expr)
  return expr
}

/** Evaluate to a string, number, boolean or NodeSet; throws ExprError (or a subclass). */
export function evaluate (expr, ctx) {
  const e = typeof expr === 'string' ? parse(expr) : expr
  return evaluateCompiled(e.fn, ctx)
}

/** Names of functions the expression calls that the engine does not know (sorted). */
export function checkFunctions (expr) {
  const e = typeof expr === 'string' ? parse(expr) : expr
  return [...e.functions].filter((name) => !FUNCTIONS.has(name)).sort()
}

/** Human-readable problems with the expression's calls: unknown names and wrong arity. */
export function checkCalls (expr) {
  const e = typeof expr === 'string' ? parse(expr) : expr
  const problems = []
  for (const node of walk(e.ast)) {
    if (node.t !== 'call') continue
    const spec = FUNCTIONS.get(node.name)
    if (!spec) problems.push(`unknown function ${node.name}() at position ${node.pos}`)
    else {
      const msg = arityProblem(spec, node.args.length)
      if (msg) problems.push(`${msg} at position ${node.pos}`)
    }
  }
  return problems
}
