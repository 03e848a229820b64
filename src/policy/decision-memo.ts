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

/** How many trie nodes and decisions all plans of a policy may hold together before the plans are rebuilt. */
export const MAX_MEMO_NODES = 200_000
export const MAX_MEMO_DECISIONS = 20_000

/** Counts the trie nodes and remembered decisions of all plans of one policy, so their memory stays bounded. */
export interface MemoBudget {
  nodes: number
  decisions: number
}

/** Whether the plans' tries are full: then they are rebuilt empty. */
export function memoFull(budget: MemoBudget): boolean {
  return budget.nodes >= MAX_MEMO_NODES || budget.decisions >= MAX_MEMO_DECISIONS
}

/** Remembers `decision` (frozen) at `leaf` while the budget allows; returns it. */
export function remember(leaf: MemoNode, decision: Decision, budget: MemoBudget): Decision {
  const frozen = freezeDecision(decision)
  if (budget.decisions < MAX_MEMO_DECISIONS) {
    budget.decisions++
    leaf.decision = frozen
  }
  return frozen
}

export function memoNode(): MemoNode {
  return { no: undefined, yes: undefined, decision: undefined }
}

/**
 * The leaf of `root`'s trie for `values` (1 true, 0 false), made when missing; `undefined` once
 * the budget is spent.
 */
export function memoLeaf(root: MemoNode, values: Uint8Array, budget: MemoBudget): MemoNode | undefined {
  let node = root
  for (let index = 0; index < values.length; index++) {
    const yes = values[index] === 1
    let child = yes ? node.yes : node.no
    if (!child) {
      if (budget.nodes >= MAX_MEMO_NODES) return undefined
      budget.nodes++
      child = memoNode()
      if (yes) node.yes = child
      else node.no = child
    }
    node = child
  }
  return node
}

/** Evaluates a plan's conditions into its `values` (1 true, 0 false); false when one gave no bool. A condition that throws, throws. */
export type ConditionsEvaluation = (variables: Record<string, unknown>) => boolean

/**
 * Evaluates `conditions` into `values`, generated for one plan: each condition is called from a
 * call site of its own, which the engine can make a direct call or inline (one shared loop
 * calling every plan's conditions could do neither). The code holds nothing from the policy:
 * only the conditions' positions.
 */
export function conditionsEvaluation(conditions: readonly ((variables: Record<string, unknown>) => unknown)[], values: Uint8Array): ConditionsEvaluation {
  const steps = conditions.map((_, index) => `x = c[${index}](v); if (x === true) b[${index}] = 1; else if (x === false) b[${index}] = 0; else return false;`)
  const make = new Function('c', 'b', `"use strict"; return function evaluate(v) { let x; ${steps.join(' ')} return true }`) as (
    conditions: readonly ((variables: Record<string, unknown>) => unknown)[],
    values: Uint8Array,
  ) => ConditionsEvaluation
  return make(conditions, values)
}

/** Freezes a decision and the lists in it, so one remembered decision can be handed to every caller. */
function freezeDecision(decision: Decision): Decision {
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
