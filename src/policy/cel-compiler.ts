/**
 * Compiles the statically typed subset of CEL that policies mostly use — field reads on facts,
 * comparisons of strings, ints and bools, `in`, string predicates, `size`, and the `exists`,
 * `all` and `exists_one` macros — into JavaScript functions, so a decision does not walk an
 * expression tree per rule. Anything outside the subset, or touching a `dyn` value (the
 * payload), is left to the cel-js interpreter: `compileCel` returns `undefined`.
 *
 * The generated code contains no text from the policy: identifiers are declared variable and
 * field names that are checked to be plain identifiers, and every literal is passed in a
 * constants array. Semantics follow CEL, including how errors combine (`false && error` is
 * false, `exists` is true if any element is, whatever the others raise); differential tests
 * (cel-compiler.test.ts) hold the compiled code to the interpreter's answers.
 */

import { RE2JS } from 're2js'

/** A node of the cel-js parser's AST (the unchecked shape). */
interface AstNode {
  readonly op: string
  readonly args: unknown
}

/** Types as CEL names them: `string`, `int`, `bool`, `list<T>`, `map<K, V>`, a message type, `dyn`. */
export interface TypeEnvironment {
  variableType(name: string): string | undefined
  /** The type of a field of a declared message type; `undefined` when the type has no such field. */
  fieldType(typeName: string, field: string): string | undefined
}

type Variables = Record<string, unknown>
type Frame = unknown[]
type Generated = (variables: Variables, frame: Frame) => unknown

/** A compiled sub-expression: JavaScript source, its CEL type, and whether evaluating it can raise. */
interface Code {
  readonly type: string
  readonly js: string
  readonly canThrow: boolean
}

class Unsupported extends Error {}
const unsupported = (what: string): never => {
  throw new Unsupported(what)
}

const SCALARS = new Set(['string', 'int', 'bool'])
const STRING_METHODS = new Map([
  ['startsWith', 'startsWith'],
  ['endsWith', 'endsWith'],
  ['contains', 'includes'],
])
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const SMALL_INTS: readonly bigint[] = Array.from({ length: 256 }, (_, index) => BigInt(index))

/** Runtime helpers the generated code calls for what may raise, and for the macros. */
const HELPERS = Object.freeze({
  get(map: Record<string, unknown>, key: string): unknown {
    if (!Object.hasOwn(map, key)) throw new Error(`No such key: ${key}`)
    return map[key]
  },
  at(list: readonly unknown[], index: bigint): unknown {
    if (index < 0n || index >= BigInt(list.length)) throw new Error(`index out of bounds: ${index}`)
    return list[Number(index)]
  },
  has: (map: object, key: string): boolean => Object.hasOwn(map, key),
  matches: (pattern: RE2JS, text: string): boolean => pattern.test(text),
  codePoints(text: string): bigint {
    // CEL counts code points, not UTF-16 units.
    let count = 0
    for (const _ of text) count++
    return BigInt(count)
  },
  /** `&&` and `||` are commutative over errors in CEL: a decisive side wins over an error on the other. */
  logical(decisive: boolean, left: Generated, right: Generated, v: Variables, f: Frame): boolean {
    let failure: unknown
    try {
      if (left(v, f) === decisive) return decisive
    } catch (error) {
      failure = error
    }
    if (right(v, f) === decisive) return decisive
    if (failure !== undefined) throw failure
    return !decisive
  },
  /** exists (decisive true) and all (decisive false): a decisive element wins over errors of others. */
  quantify(decisive: boolean, items: readonly unknown[], slot: number, predicate: Generated, v: Variables, f: Frame): boolean {
    let failure: unknown
    for (const item of items) {
      f[slot] = item
      try {
        if (predicate(v, f) === decisive) return decisive
      } catch (error) {
        failure ??= error
      }
    }
    if (failure !== undefined) throw failure
    return !decisive
  },
  /** A length as a CEL int; small ones come from a table instead of a new BigInt. */
  length: (length: number): bigint => (length < SMALL_INTS.length ? SMALL_INTS[length]! : BigInt(length)),
  /** exists_one: errors are fatal, as in the interpreter. */
  existsOne(items: readonly unknown[], slot: number, predicate: Generated, v: Variables, f: Frame): boolean {
    let count = 0
    for (const item of items) {
      f[slot] = item
      if (predicate(v, f) === true) count++
    }
    return count === 1
  },
})

/**
 * Compiles a checked expression; `undefined` when it is outside the compiled subset.
 * `interpreted` evaluates the same expression in the interpreter: it runs when a variable the
 * expression reads is missing (an action kind without facts), where CEL's error rules apply.
 */
export function compileCel(ast: unknown, types: TypeEnvironment, interpreted: (variables: Variables) => unknown): CompiledCel | undefined {
  const compiler = new Compiler(types)
  let code: Code
  try {
    code = compiler.node(ast as AstNode)
  } catch (error) {
    if (error instanceof Unsupported) return undefined
    throw error
  }
  if (code.type !== 'bool') return undefined
  // One frame per expression: evaluation is synchronous and an expression never re-enters itself.
  const run = compiler.entry(code.js, new Array(compiler.slots))
  const used = [...compiler.variables]
  const compiled = function compiledCondition(variables: Variables): unknown {
    // The generated code reads variables without checks; when one is missing, the interpreter
    // decides how its error combines with the rest of the expression.
    for (const name of used) if (variables[name] === undefined) return interpreted(variables)
    return run(variables)
  }
  return Object.assign(compiled, { unchecked: run })
}

/** A compiled condition; `unchecked` skips the test for missing variables, for a caller that knows every variable it reads is set. */
export type CompiledCel = ((variables: Variables) => unknown) & { readonly unchecked: (variables: Variables) => unknown }

class Compiler {
  readonly variables = new Set<string>()
  slots = 0
  readonly #constants: unknown[] = []
  readonly #functions: Generated[] = []
  readonly #scope = new Map<string, { slot: number; type: string }>()

  constructor(readonly types: TypeEnvironment) {}

  /** Builds the function of the variables that returns the whole expression `js`, evaluated in `frame`. */
  entry(js: string, frame: Frame): (variables: Variables) => unknown {
    const make = new Function('k', 'fns', 'h', 'frame', `"use strict"; return function condition(v) { const f = frame; return (${js}) }`) as (
      constants: readonly unknown[],
      functions: readonly Generated[],
      helpers: typeof HELPERS,
      frame: Frame,
    ) => (variables: Variables) => unknown
    return make(this.#constants, this.#functions, HELPERS, frame)
  }

  /** Builds a function of (variables, frame) returning the expression `js`, or running the statements `js` (`body`). */
  function(js: string, form: 'expression' | 'body' = 'expression'): Generated {
    const body = form === 'body' ? js : `return (${js})`
    const make = new Function('k', 'fns', 'h', `"use strict"; return function generated(v, f) { ${body} }`) as (
      constants: readonly unknown[],
      functions: readonly Generated[],
      helpers: typeof HELPERS,
    ) => Generated
    return make(this.#constants, this.#functions, HELPERS)
  }

  node(node: AstNode): Code {
    switch (node.op) {
      case 'value':
        return this.literal(node.args)
      case 'id':
        return this.identifier(node.args as string)
      case '.':
        return this.field(node)
      case '[]':
        return this.index(node)
      case '!_': {
        const operand = this.expect(this.node(node.args as AstNode), 'bool')
        return { type: 'bool', js: `!(${operand.js})`, canThrow: operand.canThrow }
      }
      case '&&':
      case '||':
        return this.logical(node)
      case '?:': {
        const [condition, yes, no] = (node.args as AstNode[]).map((arg) => this.node(arg)) as [Code, Code, Code]
        this.expect(condition, 'bool')
        this.expect(no, yes.type)
        return { type: yes.type, js: `((${condition.js}) ? (${yes.js}) : (${no.js}))`, canThrow: condition.canThrow || yes.canThrow || no.canThrow }
      }
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.comparison(node)
      case 'in':
        return this.membership(node)
      case 'list': {
        const items = (node.args as AstNode[]).map((item) => this.node(item))
        const first = items[0] ?? unsupported('empty list')
        for (const item of items) this.expect(item, first.type)
        return { type: `list<${first.type}>`, js: `[${items.map((item) => item.js).join(', ')}]`, canThrow: items.some((item) => item.canThrow) }
      }
      case 'rcall':
        return this.receiverCall(node)
      case 'call': {
        const [name, args] = node.args as [string, AstNode[]]
        if (name !== 'size' || args.length !== 1) return unsupported(name)
        return this.size(this.node(args[0]!))
      }
      default:
        return unsupported(node.op)
    }
  }

  literal(value: unknown): Code {
    if (typeof value === 'boolean') return { type: 'bool', js: String(value), canThrow: false }
    if (typeof value === 'string') return { type: 'string', js: this.constant(value), canThrow: false }
    if (typeof value === 'bigint') return { type: 'int', js: this.constant(value), canThrow: false }
    return unsupported('literal')
  }

  identifier(name: string): Code {
    const bound = this.#scope.get(name)
    if (bound) return { type: bound.type, js: `f[${bound.slot}]`, canThrow: false }
    const type = this.types.variableType(name) ?? unsupported('unknown variable')
    if (!IDENTIFIER.test(name)) unsupported('variable name')
    this.variables.add(name)
    return { type, js: `v.${name}`, canThrow: false }
  }

  field(node: AstNode): Code {
    const [targetNode, name] = node.args as [AstNode, string]
    const target = this.node(targetNode)
    const mapValue = mapValueType(target.type)
    if (mapValue) return { type: mapValue, js: `h.get(${target.js}, ${this.constant(name)})`, canThrow: true }
    const type = this.types.fieldType(target.type, name) ?? unsupported('field')
    if (type.includes('dyn') || !IDENTIFIER.test(name)) unsupported('dyn field')
    // Message values are built by CelEnvironment with every declared field set.
    return { type, js: `(${target.js}).${name}`, canThrow: target.canThrow }
  }

  index(node: AstNode): Code {
    const [target, key] = (node.args as AstNode[]).map((arg) => this.node(arg)) as [Code, Code]
    const mapValue = mapValueType(target.type)
    if (mapValue) {
      this.expect(key, 'string')
      return { type: mapValue, js: `h.get(${target.js}, ${key.js})`, canThrow: true }
    }
    const element = listElementType(target.type) ?? unsupported('index')
    this.expect(key, 'int')
    return { type: element, js: `h.at(${target.js}, ${key.js})`, canThrow: true }
  }

  logical(node: AstNode): Code {
    const [left, right] = (node.args as AstNode[]).map((arg) => this.expect(this.node(arg), 'bool')) as [Code, Code]
    const decisive = node.op === '||'
    // Without possible errors, JavaScript's short-circuit operators are exactly CEL's.
    if (!left.canThrow && !right.canThrow) return { type: 'bool', js: `((${left.js}) ${node.op} (${right.js}))`, canThrow: false }
    return { type: 'bool', js: `h.logical(${decisive}, ${this.subFunction(left.js)}, ${this.subFunction(right.js)}, v, f)`, canThrow: true }
  }

  comparison(node: AstNode): Code {
    const [left, right] = (node.args as AstNode[]).map((arg) => this.node(arg)) as [Code, Code]
    this.expect(right, left.type)
    const ordered = node.op !== '==' && node.op !== '!='
    if (!SCALARS.has(left.type) || (ordered && left.type === 'bool')) unsupported('comparison type')
    const operator = node.op === '==' ? '===' : node.op === '!=' ? '!==' : node.op
    return { type: 'bool', js: `((${left.js}) ${operator} (${right.js}))`, canThrow: left.canThrow || right.canThrow }
  }

  membership(node: AstNode): Code {
    const [itemNode, containerNode] = node.args as [AstNode, AstNode]
    const item = this.node(itemNode)
    const container = this.node(containerNode)
    const canThrow = item.canThrow || container.canThrow
    if (mapValueType(container.type)) {
      this.expect(item, 'string')
      return { type: 'bool', js: `h.has(${container.js}, ${item.js})`, canThrow }
    }
    const element = listElementType(container.type) ?? unsupported('in')
    if (element !== item.type || !SCALARS.has(element)) unsupported('in type')
    const literals = containerNode.op === 'list' ? (containerNode.args as AstNode[]) : []
    if (literals.length > 0 && literals.every((literal) => literal.op === 'value')) {
      // A list of literals is a set known at load time.
      return { type: 'bool', js: `${this.constant(new Set(literals.map((literal) => literal.args)))}.has(${item.js})`, canThrow: item.canThrow }
    }
    return { type: 'bool', js: `(${container.js}).includes(${item.js})`, canThrow }
  }

  receiverCall(node: AstNode): Code {
    const [name, receiverNode, argNodes] = node.args as [string, AstNode, AstNode[]]
    if (name === 'exists' || name === 'all' || name === 'exists_one') return this.quantifier(name, receiverNode, argNodes)
    const receiver = this.node(receiverNode)
    if (name === 'size' && argNodes.length === 0) return this.size(receiver)
    if (argNodes.length !== 1) unsupported('call arity')
    this.expect(receiver, 'string')
    const argNode = argNodes[0]!
    if (name === 'matches') {
      // A literal pattern compiles once; a computed one is left to the interpreter.
      if (argNode.op !== 'value' || typeof argNode.args !== 'string') return unsupported('computed pattern')
      // RE2 (as CEL specifies): linear time, so an agent's input cannot make a rule backtrack for ever.
      let pattern: RE2JS
      try {
        pattern = RE2JS.compile(argNode.args)
      } catch {
        return unsupported('invalid pattern')
      }
      return { type: 'bool', js: `h.matches(${this.constant(pattern)}, ${receiver.js})`, canThrow: receiver.canThrow }
    }
    const method = STRING_METHODS.get(name) ?? unsupported(name)
    const argument = this.expect(this.node(argNode), 'string')
    return { type: 'bool', js: `(${receiver.js}).${method}(${argument.js})`, canThrow: receiver.canThrow || argument.canThrow }
  }

  size(value: Code): Code {
    if (value.type === 'string') return { type: 'int', js: `h.codePoints(${value.js})`, canThrow: value.canThrow }
    if (listElementType(value.type)) return { type: 'int', js: `h.length((${value.js}).length)`, canThrow: value.canThrow }
    if (mapValueType(value.type)) return { type: 'int', js: `h.length(Object.keys(${value.js}).length)`, canThrow: value.canThrow }
    return unsupported('size type')
  }

  quantifier(name: 'exists' | 'all' | 'exists_one', receiverNode: AstNode, argNodes: AstNode[]): Code {
    const [variableNode, predicateNode] = argNodes
    if (argNodes.length !== 2 || variableNode?.op !== 'id' || !predicateNode) return unsupported('macro shape')
    const list = this.node(receiverNode)
    const element = listElementType(list.type) ?? unsupported('macro over a non-list')
    const variable = variableNode.args as string
    if (this.#scope.has(variable) || this.types.variableType(variable)) unsupported('shadowed variable')
    const slot = this.slots++
    this.#scope.set(variable, { slot, type: element })
    const predicate = this.expect(this.node(predicateNode), 'bool')
    this.#scope.delete(variable)
    const canThrow = list.canThrow || predicate.canThrow
    if (name === 'exists_one') return { type: 'bool', js: `h.existsOne(${list.js}, ${slot}, ${this.subFunction(predicate.js)}, v, f)`, canThrow }
    const decisive = name === 'exists'
    if (predicate.canThrow) return { type: 'bool', js: `h.quantify(${decisive}, ${list.js}, ${slot}, ${this.subFunction(predicate.js)}, v, f)`, canThrow }
    // A predicate that cannot raise runs in a loop of its own function, inlined there: no call per element.
    const loop = `const items = ${list.js}; for (let i = 0; i < items.length; i++) { f[${slot}] = items[i]; if ((${predicate.js}) === ${decisive}) return ${decisive} } return ${!decisive}`
    return { type: 'bool', js: `${this.subFunction(loop, 'body')}(v, f)`, canThrow }
  }

  subFunction(js: string, form: 'expression' | 'body' = 'expression'): string {
    this.#functions.push(this.function(js, form))
    return `fns[${this.#functions.length - 1}]`
  }

  constant(value: unknown): string {
    this.#constants.push(value)
    return `k[${this.#constants.length - 1}]`
  }

  expect(code: Code, type: string): Code {
    if (code.type !== type) unsupported(`expected ${type}, got ${code.type}`)
    return code
  }
}

function listElementType(type: string): string | undefined {
  const element = /^list<(.+)>$/.exec(type)?.[1]
  return element && !element.includes('dyn') ? element : undefined
}

function mapValueType(type: string): string | undefined {
  const value = /^map<string, (.+)>$/.exec(type)?.[1]
  return value && !value.includes('dyn') ? value : undefined
}
