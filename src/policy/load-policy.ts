import { createHash } from 'node:crypto'
import { RE2JS } from 're2js'
import type { z } from 'zod'
import type { FactKindDeclaration } from '../analyzers/index.js'
import { CountersignError, type ErrorDetail } from '../errors/index.js'
import { compileCel } from './cel-compiler.js'
import { CelEnvironment } from './cel-environment.js'
import { candidateIndex, compileMatch, type CompiledPolicy, type CompiledRule, type MatchKey, type ReviewRequirement } from './compiled-policy.js'
import { POLICY_KEYS, PolicySchema, type ReviewSpec, type RuleSpec } from './policy-schema.js'
import { YamlSource } from './source-map.js'

const environments = new WeakMap<readonly FactKindDeclaration[], CelEnvironment>()

/** The CEL environment for a set of fact kinds, built once (building one is the expensive part). */
function celEnvironmentFor(factKinds: readonly FactKindDeclaration[]): CelEnvironment {
  let cel = environments.get(factKinds)
  if (!cel) {
    cel = new CelEnvironment(factKinds)
    environments.set(factKinds, cel)
  }
  return cel
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}

const ANY_HUMAN_REVIEW: ReviewSpec = {
  approvers: [],
  min_approvals: 1,
  timeout: 3_600_000,
  execute_within: 900_000,
  reason_required: false,
  channels: [],
  escalate: [],
}

/** How a policy is compiled: its file (for located errors), the facts its conditions may read, and the channels the gateway has. */
export interface CompileOptions {
  readonly file?: string
  readonly factKinds: readonly FactKindDeclaration[]
  /**
   * The channel types this gateway can ask in (`slack` when `channels.slack` is configured…).
   * A review's channels of other types are left out of its requirements, so that no view says a
   * request was "asked in slack:#…" when nothing was sent there. Absent: all are kept (offline checks).
   */
  readonly channelTypes?: readonly string[]
  /**
   * The names of the configured calendars (config `calendars`): a condition reading
   * `calendar.NAME` of another name is an error. Absent: any name is accepted (offline checks;
   * reading a calendar that does not exist then fails the condition, which never allows).
   */
  readonly calendars?: readonly string[]
}

/**
 * Validates and compiles a policy file's text. All problems are collected and thrown together
 * as one `INVALID` error whose details carry file, line and column; nothing is half-loaded.
 *
 * @example
 * const policy = compilePolicy(readFileSync('policy.yaml', 'utf8'), { file: 'policy.yaml', factKinds: analyzers.factKinds })
 */
export function compilePolicy(text: string, options: CompileOptions): CompiledPolicy {
  const source = new YamlSource(text, options.file)
  const fail = (details: ErrorDetail[]): never => {
    const where = options.file ?? 'policy'
    throw new CountersignError('INVALID', `${where}: ${details.length === 1 ? 'invalid policy' : `${details.length} problems`}`, { details })
  }
  const syntax = source.syntaxErrors()
  if (syntax.length > 0) fail(syntax)
  if (source.document.contents === null) fail([source.at([], 'the policy is empty (expected at least "version: 1")')])

  let raw: unknown
  try {
    raw = source.document.toJS({ maxAliasCount: 100 })
  } catch (error) {
    fail([source.at([], `cannot read the policy: ${(error as Error).message}`)])
  }
  const parsed = PolicySchema.safeParse(raw)
  const cel = celEnvironmentFor(options.factKinds)
  if (!parsed.success) {
    // Check the conditions too, so the author sees every problem in one pass.
    const problems = parsed.error.issues.map((issue) => schemaDetail(source, issue))
    const rawRules = (raw as { rules?: unknown } | null)?.rules
    if (Array.isArray(rawRules)) {
      rawRules.forEach((rule: unknown, index) => {
        const when = (rule as { when?: unknown } | null)?.when
        if (typeof when === 'string' && when.trim()) compileCondition(['rules', index, 'when'], cel, source, problems)
      })
    }
    fail(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)))
  }
  const spec = parsed.data!

  const problems: ErrorDetail[] = []
  const rules = spec.rules.map((rule, index) => compileRule(rule, index, spec.default_review, cel, source, problems, options.channelTypes, options.calendars))
  if (problems.length > 0) fail(problems)

  const reads = (name: string) => rules.some((rule) => rule.reads.has(name))
  const plan = candidateIndex(rules)
  return Object.freeze({
    version: createHash('sha256').update(text, 'utf8').digest('hex'),
    file: options.file,
    default: spec.default,
    defaultReview: requirement('default', spec.default_review ?? ANY_HUMAN_REVIEW, options.channelTypes),
    timezone: spec.timezone,
    rules: Object.freeze(rules),
    cel,
    reads: { time: reads('time'), digest: reads('.digest'), calendar: reads('calendar') },
    candidates: (key: MatchKey) => plan(key).rules,
    plan,
  })
}

function compileRule(
  rule: RuleSpec,
  index: number,
  defaultReview: ReviewSpec | undefined,
  cel: CelEnvironment,
  source: YamlSource,
  problems: ErrorDetail[],
  channelTypes: readonly string[] | undefined,
  knownCalendars: readonly string[] | undefined,
): CompiledRule & { readonly reads: ReadonlySet<string> } {
  const condition = rule.when === undefined ? undefined : compileCondition(['rules', index, 'when'], cel, source, problems)
  const reads = condition?.reads ?? new Set<string>()
  const calendars = [...(condition?.calendars ?? [])]
  if (knownCalendars) {
    for (const name of calendars) {
      if (name !== '*' && !knownCalendars.includes(name)) {
        problems.push(source.at(['rules', index, 'when'], `unknown calendar "${name}" (${knownCalendars.length > 0 ? `configured: ${knownCalendars.join(', ')}` : 'no calendars are configured'})`))
      }
    }
  }
  // An allow rule applies only to the kinds whose facts it reads (see compileMatch).
  const factKinds = rule.effect === 'allow' ? cel.factKinds.map((kind) => kind.name).filter((kind) => reads.has(kind)) : []
  return Object.freeze({
    id: rule.id,
    description: rule.description,
    effect: rule.effect,
    match: deepFreeze(rule.match),
    when: rule.when,
    message: rule.message,
    shadow: rule.mode === 'shadow',
    review: rule.effect === 'review' ? requirement(rule.id, rule.review ?? defaultReview ?? ANY_HUMAN_REVIEW, channelTypes) : undefined,
    calendars: Object.freeze(calendars),
    condition: condition?.run,
    unchecked: condition?.unchecked,
    mismatch: compileMatch(rule.match, factKinds),
    outcomes: {
      always: Object.freeze({ id: rule.id, effect: rule.effect, matched: true, reason: 'match keys hold and it has no condition' }),
      true: Object.freeze({ id: rule.id, effect: rule.effect, matched: true, reason: 'its condition is true' }),
      false: Object.freeze({ id: rule.id, effect: rule.effect, matched: false, reason: 'its condition is false' }),
    },
    reads,
  })
}

/** A compiled condition and what it reads: variable names, and field names as `.name`. */
interface Condition {
  readonly run: NonNullable<CompiledRule['condition']>
  readonly unchecked: NonNullable<CompiledRule['condition']>
  readonly reads: ReadonlySet<string>
  /** The calendars it reads by name (`calendar.NAME`, `calendar["NAME"]`); `*` for a computed name. */
  readonly calendars: ReadonlySet<string>
}

/** Type-checks and compiles the condition at `path`; on failure records a located problem and returns undefined. */
function compileCondition(path: readonly (string | number)[], cel: CelEnvironment, source: YamlSource, problems: ErrorDetail[]): Condition | undefined {
  // Offsets in CEL errors are into the raw scalar value, so check exactly that text.
  const raw = String(source.document.getIn(path))
  let interpreted: ReturnType<typeof cel.env.parse>
  try {
    interpreted = cel.env.parse(raw)
  } catch (error) {
    const range = (error as { range?: { start?: number } }).range
    problems.push(source.atOffset(path, range?.start ?? 0, celMessage(error as Error, cel)))
    return undefined
  }
  // Checking the AST that will run also spares the interpreter a type check per evaluation.
  const check = interpreted.check()
  if (!check.valid) {
    const error = check.error ?? { message: 'invalid condition' }
    problems.push(source.atOffset(path, ('range' in error ? error.range?.start : undefined) ?? 0, celMessage(error, cel)))
    return undefined
  }
  if (check.type !== 'bool' && check.type !== 'dyn') {
    problems.push(source.at(path, `the condition must be true or false, but it gives a value of type ${check.type}`))
    return undefined
  }
  const interpret = interpreted as (variables: Record<string, unknown>) => unknown
  // The compiler reads the unchecked shape of the AST, so it gets a fresh parse of its own.
  const ast = cel.env.parse(raw).ast
  const { reads, patterns, calendars } = inspect(ast)
  for (const pattern of patterns) {
    const problem = pattern.text === undefined ? 'the pattern of matches() must be a literal string' : re2Problem(pattern.text)
    if (problem) problems.push(source.atOffset(path, pattern.offset, problem))
  }
  const compiled = compileCel(ast, cel, interpret)
  if (!compiled && patterns.length > 0) {
    // The interpreter would run the pattern with JavaScript's backtracking RegExp, not RE2.
    problems.push(source.at(path, 'matches() applies to typed values only (facts, labels, context), not to payload values; use contains(), startsWith() or endsWith() there'))
  }
  return { run: compiled ?? interpret, unchecked: compiled?.unchecked ?? interpret, reads, calendars }
}

/**
 * One walk over a condition's AST: the variables it names and the fields it reads (`.name`) —
 * a name shadowed by a macro variable counts too, which only narrows — and every
 * `x.matches(pattern)` with its literal pattern (when it is one) and where that starts.
 */
function inspect(ast: unknown): { reads: Set<string>; patterns: { text: string | undefined; offset: number }[]; calendars: Set<string> } {
  const reads = new Set<string>()
  const calendars = new Set<string>()
  let uses = 0
  let named = 0
  const isCalendar = (node: unknown) => (node as { op?: unknown; args?: unknown } | null)?.op === 'id' && (node as { args?: unknown }).args === 'calendar'
  const patterns: { text: string | undefined; offset: number }[] = []
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (!node || typeof node !== 'object') return
    const { op, args, start } = node as { op?: unknown; args?: unknown; start?: number }
    if (op === 'id' && typeof args === 'string') reads.add(args)
    if (op === 'id' && args === 'calendar') uses++
    if (Array.isArray(args) && isCalendar(args[0])) {
      const key = op === '.' ? args[1] : op === '[]' && (args[1] as { op?: unknown } | null)?.op === 'value' ? (args[1] as { args?: unknown }).args : undefined
      if (typeof key === 'string') {
        calendars.add(key)
        named++
      }
    }
    if (op === '.' && Array.isArray(args) && typeof args[1] === 'string') reads.add(`.${args[1]}`)
    if (op === 'rcall' && Array.isArray(args) && args[0] === 'matches') {
      const pattern = (args[2] as { op?: unknown; args?: unknown; start?: number }[] | undefined)?.[0]
      patterns.push({ text: pattern?.op === 'value' && typeof pattern.args === 'string' ? pattern.args : undefined, offset: pattern?.start ?? start ?? 0 })
    }
    visit(args)
  }
  visit(ast)
  // `calendar` used otherwise than by a literal name (a macro over it, a computed key) reads every calendar.
  if (uses > named) calendars.add('*')
  return { reads, patterns, calendars }
}

function re2Problem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern)
    return undefined
  } catch (error) {
    return `invalid regular expression (RE2 syntax): ${(error as Error).message}`
  }
}

function requirement(rule: string, spec: ReviewSpec, channelTypes: readonly string[] | undefined): ReviewRequirement {
  const asked = channelTypes ? spec.channels.filter((channel) => channelTypes.includes(channel.split(':', 1)[0]!)) : spec.channels
  return Object.freeze({
    rule,
    approvers: Object.freeze([...spec.approvers]),
    min_approvals: spec.min_approvals,
    timeout_ms: spec.timeout,
    execute_within_ms: spec.execute_within,
    reason_required: spec.reason_required,
    channels: Object.freeze([...asked]),
    ...(spec.grants && { grants: Object.freeze({ max_ttl_ms: spec.grants.max_ttl, max_uses: spec.grants.max_uses }) }),
    ...(spec.assurance && { assurance: spec.assurance }),
    ...(spec.remind_after !== undefined && { remind_after_ms: spec.remind_after }),
    ...(spec.break_glass && {
      break_glass: Object.freeze({
        requires: spec.break_glass.requires,
        notify: Object.freeze(channelTypes ? spec.break_glass.notify.filter((channel) => channelTypes.includes(channel.split(':', 1)[0]!)) : [...spec.break_glass.notify]),
        review_within_ms: spec.break_glass.review_within,
      }),
    }),
    ...(spec.escalate.length > 0 && { escalate: Object.freeze(spec.escalate.map((stage) => Object.freeze({ after_ms: stage.after, to: Object.freeze([...stage.to]) }))) }),
  })
}

/** A CEL error as a policy author reads it: what is wrong, without the library's source excerpt. */
function celMessage(error: { message: string; code?: string }, cel: CelEnvironment): string {
  const first = error.message.split('\n')[0] ?? error.message
  const unknownVariable = /^Unknown variable: (\S+)/.exec(first)
  if (unknownVariable) return `unknown variable "${unknownVariable[1]}" (known: ${cel.variables.join(', ')})`
  const noSuchKey = /^No such key: (\S+)/.exec(first)
  if (noSuchKey) return `unknown field "${noSuchKey[1]}"`
  return `invalid condition: ${first}`
}

function schemaDetail(source: YamlSource, issue: z.core.$ZodIssue): ErrorDetail {
  const path = issue.path as PropertyKey[]
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? ''
    const expected = expectedKeys(path)
    return source.atKey(path, key, `unknown key "${key}"${expected ? ` (expected one of: ${expected})` : ''}`)
  }
  if (path.length > 0 && !source.document.hasIn(path)) {
    return source.at(path, `missing required key "${String(path.at(-1))}"`)
  }
  return source.at(path, issue.message)
}

function expectedKeys(path: readonly PropertyKey[]): string | undefined {
  const last = path.at(-1)
  const keys =
    path.length === 0
      ? POLICY_KEYS.policy
      : last === 'match'
        ? POLICY_KEYS.match
        : last === 'review' || last === 'default_review'
          ? POLICY_KEYS.review
          : typeof last === 'number' && path.at(-2) === 'rules'
            ? POLICY_KEYS.rule
            : undefined
  return keys?.join(', ')
}
