import type { ActionKind } from '../action/index.js'
import type { TargetConfig } from '../config/index.js'
import type { Agent } from '../lifecycle/index.js'
import type { CompiledPolicy } from '../policy/index.js'

/**
 * Whether the policy leaves `agent` any way to act on `target`: false when a deny rule without a
 * condition matches the target's kind, name, env and the agent, or when nothing but deny rules
 * apply and the policy's default is deny. The gateway offers only usable targets' tools; the
 * policy still decides every call, whatever the agent was offered.
 *
 * @example
 * const offered = targets.filter((target) => mayUse(gateway.policy, agent, target))
 */
export function mayUse(policy: CompiledPolicy, agent: Agent, target: TargetConfig): boolean {
  const candidates = policy.candidates({ kind: target.kind, target: target.name, env: target.labels['env'] ?? '', agent: agent.id })
  if (candidates.some((rule) => rule.effect === 'deny' && rule.when === undefined)) return false
  return policy.default !== 'deny' || candidates.some((rule) => rule.effect !== 'deny')
}

/** The targets of `kind` whose actions Countersign runs with a connector of `type` (any type when absent). */
export function brokeredTargets(targets: readonly TargetConfig[], kind: ActionKind, type?: string): TargetConfig[] {
  return targets.filter((target) => target.kind === kind && target.connector !== undefined && (type === undefined || target.connector.type === type))
}
