import { z } from 'zod'
import { ActionDraftSchema, type ActionKind } from '../action/index.js'
import { CountersignError, type ErrorDetail } from '../errors/index.js'
import type { Calendars } from './calendar.js'
import type { CompiledPolicy } from './compiled-policy.js'
import { decide, type Decision, type PolicyAgent, type PolicyTarget } from './decide.js'
import { EFFECTS, type Effect } from './policy-schema.js'
import { formatPath, YamlSource } from './source-map.js'

const CaseSchema = z.strictObject({
  name: z.string().min(1),
  action: z.unknown(),
  /** The id of the submitting agent (resolved through config for its owner and labels). */
  agent: z.string().min(1).optional(),
  /** When the action is decided (ISO 8601); defaults to the time of the run. */
  now: z.iso.datetime({ offset: true }).optional(),
  expect: z.strictObject({ effect: z.enum(EFFECTS), rules: z.array(z.string()).optional() }),
})
const CasesSchema = z.array(CaseSchema).min(1, 'expected at least one case')

/** One case's result. */
export interface CaseResult {
  readonly name: string
  readonly passed: boolean
  readonly expected: { readonly effect: Effect; readonly rules?: readonly string[] | undefined }
  readonly decision: Decision
  /** What differs, in words; empty when passed. */
  readonly problems: readonly string[]
}

/** What the cases runner needs besides the policy: the analyzers and the config's targets and agents. */
export interface CaseEnvironment {
  /** The analysis of an action on its target, as the gateway makes it (`analyzeAction`). */
  analyze(action: { readonly kind: ActionKind; readonly target: string; readonly payload: Readonly<Record<string, unknown>> }): { readonly facts: object } | undefined
  target(name: string): PolicyTarget | undefined
  agent(id: string): PolicyAgent | undefined
  /** Whether targets come from a config: then a case naming an unknown target is a mistake, not an empty target. */
  readonly knowsTargets: boolean
  now(): Date
  /** The config's calendars (`calendar.NAME`), when there is a config. */
  readonly calendars?: Calendars | undefined
}

/**
 * Runs a cases file (docs/cli.md) against a policy. Invalid cases are reported all at once,
 * located, before any case runs.
 *
 * @example
 * const results = runPolicyCases(policy, readFileSync('cases.yaml', 'utf8'), 'cases.yaml', environment)
 */
export function runPolicyCases(policy: CompiledPolicy, text: string, file: string, environment: CaseEnvironment): readonly CaseResult[] {
  const source = new YamlSource(text, file)
  const syntax = source.syntaxErrors()
  if (syntax.length > 0) throw new CountersignError('INVALID', `${file}: invalid YAML`, { details: syntax })
  const parsed = CasesSchema.safeParse(source.document.toJS())
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => source.at(issue.path as PropertyKey[], issue.message))
    throw new CountersignError('INVALID', `${file}: invalid cases`, { details })
  }
  const problems: ErrorDetail[] = []
  const actions = parsed.data.map((testCase, index) => {
    const action = ActionDraftSchema.safeParse(testCase.action)
    if (!action.success) {
      for (const issue of action.error.issues) {
        const path = [index, 'action', ...(issue.path as PropertyKey[])]
        problems.push(source.at(path, `${issue.message} (${formatPath(path)})`))
      }
    }
    if (action.data?.target && environment.knowsTargets && !environment.target(action.data.target)) {
      problems.push(source.at([index, 'action', 'target'], `unknown target "${action.data.target}" (not in the config)`))
    }
    if (testCase.agent && !environment.agent(testCase.agent)) problems.push(source.at([index, 'agent'], `unknown agent "${testCase.agent}" (not in the config)`))
    return action.data
  })
  if (problems.length > 0) throw new CountersignError('INVALID', `${file}: invalid cases`, { details: problems })

  return parsed.data.map((testCase, index) => {
    const action = actions[index]!
    const decision = decide(policy, {
      action,
      target: action.target ? environment.target(action.target) : undefined,
      agent: testCase.agent ? environment.agent(testCase.agent) : undefined,
      facts: environment.analyze(action)?.facts,
      now: testCase.now ? new Date(testCase.now) : environment.now(),
      calendars: environment.calendars,
    })
    const found: string[] = []
    if (decision.effect !== testCase.expect.effect) found.push(`expected ${testCase.expect.effect}, got ${decision.effect}`)
    if (testCase.expect.rules) {
      const expected = [...testCase.expect.rules].sort()
      const actual = [...decision.matched_rules].sort()
      if (expected.join('\n') !== actual.join('\n')) found.push(`expected rules [${expected.join(', ')}], got [${actual.join(', ')}]`)
    }
    return { name: testCase.name, passed: found.length === 0, expected: testCase.expect, decision, problems: found }
  })
}
