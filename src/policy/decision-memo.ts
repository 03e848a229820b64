import type { Decision } from './decide.js'

/**
 * The decisions already made over one plan's candidates, remembered by the values of their
 * conditions: a binary trie with one level per evaluated condition, whose leaves hold the
 * decision. A decision is a function of those values alone (conditions are pure, and everything
 * else in it comes from the plan and the policy), so a decision whose values were seen before
 * reuses the frozen one: no outcome list, explanation or requirement list is built again.
 * A condition that errors is not remembered (its message is part of the decision).
 */
export interface MemoNode {
  no: MemoNode | undefined
  yes: MemoNode | undefined
  decision: Decision | undefined
}

/** How many trie nodes all plans of a policy may hold together before the plans are rebuilt. */
export const MAX_MEMO_NODES = 200_000

/** Counts the trie nodes of all plans of one policy, so their memory stays bounded. */
export interface MemoBudget {
  nodes: number
}

export function memoNode(): MemoNode {
  return { no: undefined, yes: undefined, decision: undefined }
}

/** The child of `node` for a condition's `value`, made when missing; `undefined` once the budget is spent. */
export function memoChild(node: MemoNode, value: boolean, budget: MemoBudget): MemoNode | undefined {
  const child = value ? node.yes : node.no
  if (child) return child
  if (budget.nodes >= MAX_MEMO_NODES) return undefined
  budget.nodes++
  const made = memoNode()
  if (value) node.yes = made
  else node.no = made
  return made
}

/** Freezes a decision and the lists in it, so one remembered decision can be handed to every caller. */
export function freezeDecision(decision: Decision): Decision {
  Object.freeze(decision.matched_rules)
  Object.freeze(decision.rules)
  Object.freeze(decision.requirements)
  Object.freeze(decision.messages)
  if (decision.shadow) {
    Object.freeze(decision.shadow.matched_rules)
    Object.freeze(decision.shadow.rules)
    Object.freeze(decision.shadow)
  }
  return Object.freeze(decision)
}
