// Tokenizer for the XLSForm/ODK flavour of XPath 1.0 (port of server/forms/expr/lexer.py).
// `*` and the names and/or/div/mod are operators only after an operand (XPath 1.0, 3.7),
// so the previous token decides. Positions are code-point offsets, as in Python.
import { ExprSyntaxError } from './errors.js'

const START = '[\\p{L}\\p{Nl}\\p{No}_]'
const REST = '[\\p{L}\\p{N}_.\\-]*'
const NAME = `${START}${REST}(?::${START}${REST})?`
const TOKEN_RE = new RegExp(
  '(\\s+)' + // 1 whitespace
  '|([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)' + // 2 number
  '|("[^"]*"|\'[^\']*\')' + // 3 string
  `|(\\$\\{\\s*((?:last-saved#)?${START}${REST})\\s*\\})` + // 4 ref, 5 its name (maybe last-saved#name)
  `|(${NAME})\\s*::` + // 6 axis
  `|(${NAME})` + // 7 name
  '|(\\.\\.|//|!=|<=|>=|[()\\[\\].@,|/+\\-=<>*])', // 8 operator
  'uy')

const OPERATOR_NAMES = new Set(['and', 'or', 'div', 'mod'])
const OPERAND_START_AFTER = new Set(['@', '(', '[', ',', '/', '//', '|', '+', '-', '=', '!=', '<', '<=',
  '>', '>=', '*', 'and', 'or', 'div', 'mod', '::'])

/** Code-point offset of a UTF-16 index (Python reports code points). */
export function cpOffset (text, index) {
  let n = 0
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < index) i++
    n++
  }
  return n
}

/** Split expression text into tokens {kind, value, pos}; throws ExprSyntaxError on stray characters. */
export function tokenize (text) {
  const tokens = []
  let pos = 0
  const n = text.length
  while (pos < n) {
    TOKEN_RE.lastIndex = pos
    const m = TOKEN_RE.exec(text)
    if (m === null) {
      const at = cpOffset(text, pos)
      if (text.startsWith('${', pos)) throw new ExprSyntaxError('malformed ${name} reference', at)
      if (text[pos] === '"' || text[pos] === "'") throw new ExprSyntaxError('unterminated string literal', at)
      const ch = String.fromCodePoint(text.codePointAt(pos))
      throw new ExprSyntaxError(`unexpected character '${ch}'`, at)
    }
    const start = cpOffset(text, m.index)
    pos = TOKEN_RE.lastIndex
    if (m[1] !== undefined) continue
    const prev = tokens.length ? tokens[tokens.length - 1] : null
    const operandExpected = prev === null || ((prev.kind === 'OP' || prev.kind === 'AXIS') &&
      OPERAND_START_AFTER.has(prev.value))
    if (m[2] !== undefined) tokens.push({ kind: 'NUM', value: m[2], pos: start })
    else if (m[3] !== undefined) tokens.push({ kind: 'STR', value: m[3].slice(1, -1), pos: start })
    else if (m[4] !== undefined) tokens.push({ kind: 'REF', value: m[5], pos: start })
    else if (m[6] !== undefined) tokens.push({ kind: 'AXIS', value: m[6], pos: start })
    else if (m[7] !== undefined) {
      const name = m[7]
      if (OPERATOR_NAMES.has(name) && !operandExpected) tokens.push({ kind: 'OP', value: name, pos: start })
      else if (nextChar(text, pos) === '(' && name !== 'node' && name !== 'text') {
        tokens.push({ kind: 'FUNC', value: name, pos: start })
      } else tokens.push({ kind: 'NAME', value: name, pos: start })
    } else {
      const op = m[8]
      if (op === '*' && operandExpected) tokens.push({ kind: 'NAME', value: '*', pos: start })
      else tokens.push({ kind: 'OP', value: op, pos: start })
    }
  }
  tokens.push({ kind: 'EOF', value: '', pos: cpOffset(text, n) })
  return tokens
}

function nextChar (text, pos) {
  while (pos < text.length && /\s/.test(text[pos])) pos++
  return pos < text.length ? text[pos] : ''
}
