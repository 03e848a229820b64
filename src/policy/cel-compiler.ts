/**
 * Compiles the statically typed subset of CEL that policies mostly use — field reads on facts,
 * comparisons of strings, ints and bools, `in`, string predicates, `size`, and the `exists`,
 * `all` and `exists_one` macros — into plain closures, so that a decision does not walk an
 * expression tree per rule. Anything outside the subset, or touching a `dyn` value (the payload),
 * is left to the cel-js interpreter: `compileCel` returns `undefined` and the caller falls back.
 *
 * Semantics follow CEL, including how errors combine: `false && error` is false, `true || error`
 * is true, `exists` is true if any element is, whatever the others raise. Differential tests
 * (cel-compiler.test.ts) hold the closures to the interpreter's answers.
 */

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

/** An error raised by a compiled condition, as CEL would raise it. */
export class CelRuntimeError extends Error {
  override readonly name = 'CelRuntimeError'
}

type Frame = unknown[]
type Evaluate = (variables: Record<string, unknown>, frame: Frame) => unknown
interface Compiled {
  readonly type: string
  readonly run: Evaluate
}

class Unsupported extends Error {}
const unsupported = (what: string): never => {
  throw new Unsupported(what)
}

const SCALARS = new Set(['string', 'int', 'bool'])

/** Compiles a checked expression; `undefined` when it is outside the compiled subset. */
export function compileCel(ast: unknown, types: TypeEnvironment): ((variables: Record<string, unknown>) => unknown) | undefined {
  const slots = new Map<string, { index: number; type: string }>()
  let size = 0
  const scope = {
    bind(name: string, type: string): number {
      if (slots.has(name) || types.variableType(name)) unsupported('shadowed variable')
      slots.set(name, { index: size, type })
      return size++
    },
    unbind(name: string): void {
      slots.delete(name)
    },
    lookup: (name: string) => slots.get(name),
  }
  let compiled: Compiled
  try {
    compiled = compileNode(ast as AstNode, types, scope)
  } catch (error) {
    if (error instanceof Unsupported) return undefined
    throw error
  }
  if (compiled.type !== 'bool') return undefined
  const run = compiled.run
  // One frame per expression: evaluation is synchronous and an expression never re-enters itself.
  const frame: Frame = new Array(size)
  return function compiledCondition(variables) {
    return run(variables, frame)
  }
}

interface Scope {
  bind(name: string, type: string): number
  unbind(name: string): void
  lookup(name: string): { index: number; type: string } | undefined
}

function compileNode(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  switch (node.op) {
    case 'value':
      return literal(node.args)
    case 'id':
      return identifier(node.args as string, types, scope)
    case '.':
      return field(node, types, scope)
    case '[]':
      return index(node, types, scope)
    case '!_': {
      const operand = expect(compileNode(node.args as AstNode, types, scope), 'bool').run
      return { type: 'bool', run: (v, f) => !operand(v, f) }
    }
    case '&&':
    case '||':
      return logical(node, types, scope)
    case '?:':
      return ternary(node, types, scope)
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return comparison(node, types, scope)
    case 'in':
      return membership(node, types, scope)
    case 'list':
      return listLiteral(node, types, scope)
    case 'rcall':
      return receiverCall(node, types, scope)
    case 'call':
      return globalCall(node, types, scope)
    default:
      return unsupported(node.op)
  }
}

function literal(value: unknown): Compiled {
  if (typeof value === 'string') return { type: 'string', run: () => value }
  if (typeof value === 'boolean') return { type: 'bool', run: () => value }
  if (typeof value === 'bigint') return { type: 'int', run: () => value }
  return unsupported('literal')
}

function identifier(name: string, types: TypeEnvironment, scope: Scope): Compiled {
  const slot = scope.lookup(name)
  if (slot) {
    const at = slot.index
    return { type: slot.type, run: (_v, f) => f[at] }
  }
  const type = types.variableType(name) ?? unsupported('unknown variable')
  return {
    type,
    run: (v) => {
      const value = v[name]
      if (value === undefined) throw new CelRuntimeError(`Unknown variable: ${name}`)
      return value
    },
  }
}

function field(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [targetNode, name] = node.args as [AstNode, string]
  const target = compileNode(targetNode, types, scope)
  const mapValue = mapValueType(target.type)
  if (mapValue) return mapLookup(target, () => name, mapValue)
  const type = types.fieldType(target.type, name) ?? unsupported('field')
  if (type === 'dyn' || type.includes('dyn')) unsupported('dyn field')
  const read = target.run
  // Message values are built by CelEnvironment with every declared field set.
  return { type, run: (v, f) => (read(v, f) as Record<string, unknown>)[name] }
}

function index(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [targetNode, keyNode] = node.args as [AstNode, AstNode]
  const target = compileNode(targetNode, types, scope)
  const key = compileNode(keyNode, types, scope)
  const mapValue = mapValueType(target.type)
  if (mapValue) {
    expect(key, 'string')
    return mapLookup(target, (v, f) => key.run(v, f) as string, mapValue)
  }
  const element = listElementType(target.type) ?? unsupported('index')
  expect(key, 'int')
  return {
    type: element,
    run: (v, f) => {
      const list = target.run(v, f) as readonly unknown[]
      const at = key.run(v, f) as bigint
      if (at < 0n || at >= BigInt(list.length)) throw new CelRuntimeError(`index out of bounds: ${at}`)
      return list[Number(at)]
    },
  }
}

function mapLookup(target: Compiled, keyOf: Evaluate, valueType: string): Compiled {
  return {
    type: valueType,
    run: (v, f) => {
      const map = target.run(v, f) as Record<string, unknown>
      const key = keyOf(v, f) as string
      if (!Object.hasOwn(map, key)) throw new CelRuntimeError(`No such key: ${key}`)
      return map[key]
    },
  }
}

function logical(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [leftNode, rightNode] = node.args as [AstNode, AstNode]
  const left = expect(compileNode(leftNode, types, scope), 'bool').run
  const right = expect(compileNode(rightNode, types, scope), 'bool').run
  // CEL's && and || are commutative over errors: a decisive side wins over an error on the other.
  const decisive = node.op === '||'
  return {
    type: 'bool',
    run: (v, f) => {
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
  }
}

function ternary(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [conditionNode, yesNode, noNode] = node.args as [AstNode, AstNode, AstNode]
  const condition = expect(compileNode(conditionNode, types, scope), 'bool').run
  const yes = compileNode(yesNode, types, scope)
  const no = expect(compileNode(noNode, types, scope), yes.type)
  return { type: yes.type, run: (v, f) => (condition(v, f) ? yes.run(v, f) : no.run(v, f)) }
}

function comparison(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [leftNode, rightNode] = node.args as [AstNode, AstNode]
  const left = compileNode(leftNode, types, scope)
  const right = expect(compileNode(rightNode, types, scope), left.type)
  const ordered = node.op !== '==' && node.op !== '!='
  if (!SCALARS.has(left.type) || (ordered && left.type === 'bool')) unsupported('comparison type')
  const a = left.run
  const b = right.run
  const compare = {
    '==': (x: unknown, y: unknown) => x === y,
    '!=': (x: unknown, y: unknown) => x !== y,
    '<': (x: unknown, y: unknown) => (x as string) < (y as string),
    '<=': (x: unknown, y: unknown) => (x as string) <= (y as string),
    '>': (x: unknown, y: unknown) => (x as string) > (y as string),
    '>=': (x: unknown, y: unknown) => (x as string) >= (y as string),
  }[node.op]!
  return { type: 'bool', run: (v, f) => compare(a(v, f), b(v, f)) }
}

function membership(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [itemNode, containerNode] = node.args as [AstNode, AstNode]
  const item = compileNode(itemNode, types, scope)
  const container = compileNode(containerNode, types, scope)
  if (mapValueType(container.type)) {
    expect(item, 'string')
    return { type: 'bool', run: (v, f) => Object.hasOwn(container.run(v, f) as object, item.run(v, f) as string) }
  }
  const element = listElementType(container.type) ?? unsupported('in')
  if (element !== item.type || !SCALARS.has(element)) unsupported('in type')
  const literals = containerNode.op === 'list' ? (containerNode.args as AstNode[]) : []
  if (literals.length > 0 && literals.every((node) => node.op === 'value')) {
    // A list of literals is a set known at load time.
    const set = new Set(literals.map((node) => node.args))
    return { type: 'bool', run: (v, f) => set.has(item.run(v, f)) }
  }
  return { type: 'bool', run: (v, f) => (container.run(v, f) as readonly unknown[]).includes(item.run(v, f)) }
}

function listLiteral(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const items = (node.args as AstNode[]).map((item) => compileNode(item, types, scope))
  const first = items[0] ?? unsupported('empty list')
  for (const item of items) expect(item, first.type)
  const runs = items.map((item) => item.run)
  return { type: `list<${first.type}>`, run: (v, f) => runs.map((run) => run(v, f)) }
}

function receiverCall(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [name, receiverNode, argNodes] = node.args as [string, AstNode, AstNode[]]
  if (name === 'exists' || name === 'all' || name === 'exists_one') return quantifier(name, receiverNode, argNodes, types, scope)
  const receiver = compileNode(receiverNode, types, scope)
  if (name === 'size' && argNodes.length === 0) return sizeOf(receiver)
  if (argNodes.length !== 1) unsupported('call arity')
  expect(receiver, 'string')
  const argNode = argNodes[0]!
  const argument = expect(compileNode(argNode, types, scope), 'string')
  const text = receiver.run
  const arg = argument.run
  switch (name) {
    case 'startsWith':
      return { type: 'bool', run: (v, f) => (text(v, f) as string).startsWith(arg(v, f) as string) }
    case 'endsWith':
      return { type: 'bool', run: (v, f) => (text(v, f) as string).endsWith(arg(v, f) as string) }
    case 'contains':
      return { type: 'bool', run: (v, f) => (text(v, f) as string).includes(arg(v, f) as string) }
    case 'matches': {
      // A literal pattern compiles once; a computed one is left to the interpreter.
      if (argNode.op !== 'value' || typeof argNode.args !== 'string') return unsupported('computed pattern')
      let pattern: RegExp
      try {
        pattern = new RegExp(argNode.args)
      } catch {
        return unsupported('invalid pattern')
      }
      return { type: 'bool', run: (v, f) => pattern.test(text(v, f) as string) }
    }
    default:
      return unsupported(name)
  }
}

function globalCall(node: AstNode, types: TypeEnvironment, scope: Scope): Compiled {
  const [name, argNodes] = node.args as [string, AstNode[]]
  if (name !== 'size' || argNodes.length !== 1) return unsupported(name)
  return sizeOf(compileNode(argNodes[0]!, types, scope))
}

function sizeOf(value: Compiled): Compiled {
  const run = value.run
  if (value.type === 'string') {
    return {
      type: 'int',
      run: (v, f) => {
        // CEL counts code points, not UTF-16 units.
        let count = 0
        for (const _ of run(v, f) as string) count++
        return BigInt(count)
      },
    }
  }
  if (listElementType(value.type)) return { type: 'int', run: (v, f) => BigInt((run(v, f) as readonly unknown[]).length) }
  if (mapValueType(value.type)) return { type: 'int', run: (v, f) => BigInt(Object.keys(run(v, f) as object).length) }
  return unsupported('size type')
}

function quantifier(name: 'exists' | 'all' | 'exists_one', receiverNode: AstNode, argNodes: AstNode[], types: TypeEnvironment, scope: Scope): Compiled {
  const [variableNode, predicateNode] = argNodes
  if (argNodes.length !== 2 || variableNode?.op !== 'id' || !predicateNode) return unsupported('macro shape')
  const list = compileNode(receiverNode, types, scope)
  const element = listElementType(list.type) ?? unsupported('macro over a non-list')
  const variable = variableNode.args as string
  const slot = scope.bind(variable, element)
  const predicate = expect(compileNode(predicateNode, types, scope), 'bool').run
  scope.unbind(variable)
  const items = list.run

  if (name === 'exists_one') {
    // Errors are fatal in exists_one, as in the interpreter.
    return {
      type: 'bool',
      run: (v, f) => {
        let count = 0
        for (const item of items(v, f) as readonly unknown[]) {
          f[slot] = item
          if (predicate(v, f) === true) count++
        }
        return count === 1
      },
    }
  }
  // exists: any true wins over errors; all: any false wins over errors.
  const decisive = name === 'exists'
  return {
    type: 'bool',
    run: (v, f) => {
      let failure: unknown
      for (const item of items(v, f) as readonly unknown[]) {
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
  }
}

function expect(compiled: Compiled, type: string): Compiled {
  if (compiled.type !== type) unsupported(`expected ${type}, got ${compiled.type}`)
  return compiled
}

function listElementType(type: string): string | undefined {
  const element = /^list<(.+)>$/.exec(type)?.[1]
  return element && !element.includes('dyn') ? element : undefined
}

function mapValueType(type: string): string | undefined {
  const value = /^map<string, (.+)>$/.exec(type)?.[1]
  return value && !value.includes('dyn') ? value : undefined
}
