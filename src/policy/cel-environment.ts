import { Environment } from '@marcbachmann/cel-js'
import type { FactTypes } from '../analyzers/index.js'
import type { TypeEnvironment } from './cel-compiler.js'

/** The facts of one kind as the policy language declares them. */
export interface FactKind {
  /** The CEL variable name, which is the action kind (`sql`, `shell`…). */
  readonly name: string
  readonly rootType: string
  readonly types: FactTypes
}

/** Types of the variables every action has (docs/policy.md). */
const BASE_TYPES: FactTypes = {
  Action: { kind: 'string', target: 'string', payload: 'map<string, dyn>', digest: 'string' },
  Target: { name: 'string', kind: 'string', labels: 'map<string, string>', env: 'string' },
  Agent: { id: 'string', owner: 'string', labels: 'map<string, string>' },
  Context: { reason: 'string', session: 'string', model: 'string', on_behalf_of: 'string', trace_id: 'string' },
  Time: { now: 'google.protobuf.Timestamp', hour: 'int', weekday: 'int' },
}
// `calendar.NAME`: whether the decision's clock is inside the named calendar (config `calendars`).
const BASE_VARIABLES = { action: 'Action', target: 'Target', agent: 'Agent', context: 'Context', time: 'Time', calendar: 'map<string, bool>' } as const

type Convert = (value: unknown) => unknown

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Scalar types whose present values convert to themselves. */
const IDENTITY_ELEMENTS = new Set(['bool', 'double', 'string'])
const EMPTY_LIST: readonly unknown[] = Object.freeze([])
/** BigInts of the small counts facts mostly hold, made once. */
const SMALL_INTS: readonly bigint[] = Array.from({ length: 1024 }, (_, index) => BigInt(index))
/**
 * Per scalar type, a test on a field's value `x` and what it converts to when the test holds
 * (ints: `N[x]`, the table above), for the generated converters: the field converters' fast paths.
 */
const INLINE: Readonly<Record<string, readonly [test: string, value: string]>> = {
  bool: [`typeof x === 'boolean'`, 'x'],
  string: [`typeof x === 'string'`, 'x'],
  double: [`typeof x === 'number'`, 'x'],
  int: [`typeof x === 'number' && (x >>> 0) === x && x < ${SMALL_INTS.length}`, 'N[x]'],
}

/**
 * The policy language's environment: typed variables, so that a misspelled fact or field is an
 * error when the policy loads, not a silent `false` when an action arrives.
 *
 * Values reach CEL as instances of one class per declared type (no per-access conversion), with
 * `int` fields as BigInt, as CEL requires.
 */
export class CelEnvironment implements TypeEnvironment {
  readonly env: Environment
  readonly variables: readonly string[]
  readonly factKinds: readonly FactKind[]
  /** Every kind's facts at their empty values: the prototype of each decision's variables. */
  readonly emptyVariables: Readonly<Record<string, unknown>>
  readonly #converters = new Map<string, Convert>()
  readonly #types = new Map<string, Readonly<Record<string, string>>>()
  readonly #once = new Map<string, WeakMap<object, unknown>>()
  readonly #factKinds: ReadonlyMap<string, FactKind>

  constructor(factKinds: readonly FactKind[]) {
    this.factKinds = factKinds
    this.#factKinds = new Map(factKinds.map((kind) => [kind.name, kind]))
    this.env = new Environment({ limits: { maxAstNodes: 5000, maxDepth: 100 } })
    for (const types of [BASE_TYPES, ...factKinds.map((kind) => kind.types)]) {
      for (const [name, fields] of Object.entries(types)) this.#types.set(name, fields)
    }
    // Register in dependency order: a type's fields may name types declared after it.
    const registered = new Set<string>()
    const register = (name: string): void => {
      if (registered.has(name)) return
      registered.add(name)
      const fields = this.#types.get(name)
      if (!fields) throw new Error(`fact type ${name} is not declared`)
      for (const fieldType of Object.values(fields)) {
        const inner = /^list<(\w+)>$/.exec(fieldType)?.[1] ?? fieldType
        if (this.#types.has(inner)) register(inner)
      }
      const ctor = { [name]: class {} }[name] as new () => object
      this.env.registerType(name, { ctor, fields: { ...fields } })
      this.#converters.set(name, this.#objectConverter(ctor, fields))
    }
    for (const name of this.#types.keys()) register(name)

    const variables: string[] = []
    for (const [name, type] of Object.entries(BASE_VARIABLES)) {
      this.env.registerVariable(name, type)
      // Listed after the facts: messages name the variables in the order users meet them.
      if (name !== 'calendar') variables.push(name)
    }
    const empty: Record<string, unknown> = Object.create(null)
    for (const kind of factKinds) {
      this.env.registerVariable(kind.name, kind.rootType)
      empty[kind.name] = this.convert(kind.rootType, {})
      variables.push(kind.name)
    }
    variables.push('calendar')
    this.variables = variables
    // Not frozen: a frozen prototype would forbid shadowing its properties in each decision.
    this.emptyVariables = empty
  }

  /** The declaration of a kind's facts. */
  factKind(name: string): FactKind | undefined {
    return this.#factKinds.get(name)
  }

  /** The declared type of a top-level variable. */
  variableType(name: string): string | undefined {
    if (Object.hasOwn(BASE_VARIABLES, name)) return BASE_VARIABLES[name as keyof typeof BASE_VARIABLES]
    return this.factKinds.find((kind) => kind.name === name)?.rootType
  }

  /** The declared type of a field of a message type. */
  fieldType(typeName: string, field: string): string | undefined {
    const fields = this.#types.get(typeName)
    return fields && Object.hasOwn(fields, field) ? fields[field] : undefined
  }

  /** Converts a plain value of a declared type (JSON numbers, missing fields allowed) into its CEL form. */
  convert(typeName: string, value: unknown): unknown {
    const converter = this.#converters.get(typeName)
    if (!converter) throw new Error(`unknown CEL type ${typeName}`)
    return converter(value)
  }

  /**
   * Like `convert`, remembered per source object: targets and agents come from config and are
   * decided on again and again, so their CEL form is built once.
   */
  convertOnce(typeName: string, source: object, value: () => unknown): unknown {
    let cache = this.#once.get(typeName)
    if (!cache) this.#once.set(typeName, (cache = new WeakMap()))
    let converted = cache.get(source)
    if (converted === undefined) cache.set(source, (converted = this.convert(typeName, value())))
    return converted
  }

  #objectConverter(ctor: new () => object, fields: Readonly<Record<string, string>>): Convert {
    const names = Object.keys(fields)
    const converters = names.map((field) => this.#fieldConverter(fields[field]!))
    if (!names.every((field) => IDENTIFIER.test(field))) {
      return (value) => {
        const source = (value ?? {}) as Record<string, unknown>
        const out = new ctor() as Record<string, unknown>
        names.forEach((field, index) => (out[field] = converters[index]!(source[field])))
        return out
      }
    }
    // One generated function per type reads and writes each field by name, which keeps the
    // engine's property caches monomorphic. Field names are declared identifiers, checked above.
    // A scalar of its type is converted inline; anything else (missing, mistyped, a large int)
    // goes through the field's converter, which converts it, gives the empty value or throws.
    const body = names
      .map((field, index) => {
        const inline = INLINE[fields[field]!]
        return inline ? `x = s.${field}; o.${field} = ${inline[0]} ? ${inline[1]} : c[${index}](x);` : `o.${field} = c[${index}](s.${field});`
      })
      .join(' ')
    const make = new Function('C', 'c', 'N', `"use strict"; return function convert(value) { const s = value ?? {}; const o = new C(); let x; ${body} return o }`)
    return make(ctor, converters, SMALL_INTS) as Convert
  }

  /**
   * A field's converter. A missing value becomes the empty value; a present value of the wrong
   * type throws, so a mistyped fact fails the decision instead of silently reading as false.
   */
  #fieldConverter(type: string): Convert {
    const mistyped = (value: unknown): never => {
      throw new TypeError(`a fact declared ${type} holds ${Array.isArray(value) ? 'a list' : typeof value}`)
    }
    switch (type) {
      case 'bool':
        return (value) => (value === undefined ? false : typeof value === 'boolean' ? value : mistyped(value))
      case 'int':
        return (value) =>
          value === undefined ? 0n : Number.isSafeInteger(value) ? ((value as number) >= 0 && (value as number) < SMALL_INTS.length ? SMALL_INTS[value as number] : BigInt(value as number)) : mistyped(value)
      case 'double':
        return (value) => (value === undefined ? 0 : typeof value === 'number' ? value : mistyped(value))
      case 'string':
        return (value) => (value === undefined ? '' : typeof value === 'string' ? value : mistyped(value))
      case 'google.protobuf.Timestamp':
        return (value) => (value instanceof Date ? value : mistyped(value))
    }
    const mapValue = /^map<string, (.+)>$/.exec(type)?.[1]
    if (mapValue) {
      const checkValue = mapValue === 'dyn' ? undefined : this.#fieldConverter(mapValue)
      return (value) => {
        if (value === undefined) return {}
        if (!value || typeof value !== 'object' || Array.isArray(value)) return mistyped(value)
        // Values of typed maps (labels) are checked, not converted: a label is a string or an error.
        if (checkValue) for (const item of Object.values(value)) if (checkValue(item) !== item) mistyped(item)
        return value
      }
    }
    const listOf = /^list<(.+)>$/.exec(type)?.[1]
    if (listOf) {
      // Elements of a declared type go through that type's converter (registered before this one).
      const element = this.#types.has(listOf) ? this.#converterOf(listOf) : this.#fieldConverter(listOf)
      if (IDENTITY_ELEMENTS.has(listOf)) {
        // Elements that convert to themselves are checked, not copied: a decision allocates no list.
        return (value) => {
          if (value === undefined) return EMPTY_LIST
          if (!Array.isArray(value)) return mistyped(value)
          for (const item of value) {
            // A hole reads as the empty value, as the copying converter gives it.
            if (item === undefined) return value.map(element)
            if (element(item) !== item) mistyped(item)
          }
          return value
        }
      }
      return (value) => (value === undefined ? [] : Array.isArray(value) ? value.map(element) : mistyped(value))
    }
    if (this.#types.has(type)) return this.#converterOf(type)
    return (value) => value
  }

  /** The converter of a declared type: the registered one (types are registered after the types of their fields), else looked up when used. */
  #converterOf(typeName: string): Convert {
    return this.#converters.get(typeName) ?? ((value) => this.convert(typeName, value))
  }
}
