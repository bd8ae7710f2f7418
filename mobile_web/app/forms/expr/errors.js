// Exception hierarchy of the expression engine; `kind` is the stable class name the
// shared vectors (tests/vectors/expressions.json) and the form renderer check.

export class ExprError extends Error {
  constructor (message) {
    super(message)
    this.name = 'ExprError'
    this.kind = 'eval'
    this.detail = message
  }
}

export class ExprSyntaxError extends ExprError {
  constructor (message, position) {
    super(`${message} at position ${position}`)
    this.name = 'ExprSyntaxError'
    this.kind = 'syntax'
    this.detail = message
    this.position = position
  }
}

export class UnknownFunctionError extends ExprError {
  constructor (message) { super(message); this.name = 'UnknownFunctionError'; this.kind = 'unknown_function' }
}

export class ArityError extends ExprError {
  constructor (message) { super(message); this.name = 'ArityError'; this.kind = 'arity' }
}

export class UnknownReferenceError extends ExprError {
  constructor (message) { super(message); this.name = 'UnknownReferenceError'; this.kind = 'unknown_ref' }
}

export class ExprTypeError extends ExprError {
  constructor (message) { super(message); this.name = 'ExprTypeError'; this.kind = 'type' }
}
