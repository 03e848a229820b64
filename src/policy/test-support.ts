import { ActionDraftSchema, type Action } from '../action/index.js'
import { loadAnalyzers } from '../analyzers/index.js'
import { compilePolicy } from './load-policy.js'
import { decide, type Decision, type PolicyAgent, type PolicyTarget } from './decide.js'
import type { CompiledPolicy } from './compiled-policy.js'

/** Compiles policy text with the real analyzers' fact declarations. */
export async function policyFrom(text: string): Promise<CompiledPolicy> {
  const analyzers = await loadAnalyzers()
  return compilePolicy(text, { file: 'policy.yaml', factKinds: analyzers.factKinds })
}

/** Analyzes and decides an action the way the gateway does. */
export async function decideAction(
  policy: CompiledPolicy,
  draft: unknown,
  extra: { target?: PolicyTarget; agent?: PolicyAgent; now?: Date } = {},
): Promise<Decision> {
  const analyzers = await loadAnalyzers()
  const action: Action = ActionDraftSchema.parse(draft)
  const facts = analyzers.analyze(action.kind, action.payload)?.facts
  return decide(policy, { action, facts, now: extra.now ?? new Date('2026-01-05T12:00:00Z'), target: extra.target, agent: extra.agent })
}
