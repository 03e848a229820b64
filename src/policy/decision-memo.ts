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
  /** The node above, and the value of its condition that leads here: a leaf's path gives every value. */
  readonly parent: MemoNode | undefined
  readonly value: boolean
}

/** How many trie nodes all plans of a policy may hold together before the plans are rebuilt. */
export const MAX_MEMO_NODES = 200_000

/** Counts the trie nodes of all plans of one policy, so their memory stays bounded. */
export interface MemoBudget {
  nodes: number
}

export function memoNode(parent?: MemoNode, value = false): MemoNode {
  return { no: undefined, yes: undefined, decision: undefined, parent, value }
}

/** The values of the conditions that lead from the root to `leaf` (`count` levels below it), in order. */
export function pathValues(leaf: MemoNode, count: number): Uint8Array {
  const values = new Uint8Array(count)
  let node: MemoNode | undefined = leaf
  for (let index = count - 1; index >= 0 && node; index--, node = node.parent) values[index] = node.value ? 1 : 0
  return values
}

/** The child of `node` for a condition's `value`, made when missing; `undefined` once the budget is spent. */
export function memoChild(node: MemoNode, value: boolean, budget: MemoBudget): MemoNode | undefined {
  const child = value ? node.yes : node.no
  if (child) return child
  if (budget.nodes >= MAX_MEMO_NODES) return undefined
  budget.nodes++
  const made = memoNode(node, value)
  if (value) node.yes = made
  else node.no = made
  return made
}

/** Evaluates a plan's conditions and follows the trie by their values: the leaf, or `undefined` when one gave no bool or the budget is spent. */
export type MemoWalk = (variables: Record<string, unknown>) => MemoNode | undefined

/**
 * The walk over `conditions` from `root`, generated for one plan: each condition is called from
 * a call site of its own, which the engine can make a direct call or inline (one shared loop
 * calling every plan's conditions could do neither). The code holds nothing from the policy:
 * only the conditions' positions. A condition that throws, throws out of the walk.
 */
export function memoWalk(conditions: readonly ((variables: Record<string, unknown>) => unknown)[], root: MemoNode, budget: MemoBudget): MemoWalk {
  const steps = conditions.map(
    (_, index) =>
      `x = c[${index}](v); if (x === true) n = n.yes ?? grow(n, true); else if (x === false) n = n.no ?? grow(n, false); else return undefined; if (n === undefined) return undefined;`,
  )
  const make = new Function('c', 'grow', 'root', `"use strict"; return function walk(v) { let n = root; let x; ${steps.join(' ')} return n }`) as (
    conditions: readonly ((variables: Record<string, unknown>) => unknown)[],
    grow: (node: MemoNode, value: boolean) => MemoNode | undefined,
    root: MemoNode,
  ) => MemoWalk
  return make(conditions, (node, value) => memoChild(node, value, budget), root)
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
