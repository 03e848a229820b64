import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Decision } from './decide.js'
import { MAX_MEMO_DECISIONS, MAX_MEMO_NODES, memoFull, memoLeaf, memoNode, remember } from './decision-memo.js'

describe('the trie of remembered decisions', () => {
  it('finds the same leaf for the same values and a different one for others', () => {
    const root = memoNode()
    const budget = { nodes: 0, decisions: 0 }
    const leaf = memoLeaf(root, Uint8Array.of(1, 0, 1), budget)
    assert.ok(leaf)
    assert.equal(budget.nodes, 3)
    assert.equal(memoLeaf(root, Uint8Array.of(1, 0, 1), budget), leaf)
    assert.notEqual(memoLeaf(root, Uint8Array.of(1, 0, 0), budget), leaf)
    assert.equal(budget.nodes, 4)
    assert.equal(memoLeaf(root, new Uint8Array(0), budget), root)
  })

  it('makes no node once the budget is spent, and still finds the leaves it holds', () => {
    const root = memoNode()
    const budget = { nodes: 0, decisions: 0 }
    const leaf = memoLeaf(root, Uint8Array.of(0, 1), budget)
    budget.nodes = MAX_MEMO_NODES
    assert.equal(memoLeaf(root, Uint8Array.of(1, 1), budget), undefined)
    assert.equal(memoLeaf(root, Uint8Array.of(0, 1), budget), leaf)
    assert.equal(budget.nodes, MAX_MEMO_NODES)
  })

  it('remembers decisions frozen up to its budget, and says when the tries are full', () => {
    const decision = (): Decision => ({ effect: 'allow', matched_rules: ['a'], rules: [], excluded_rules: 0, default_applied: false, requirements: [], messages: [], explanation: 'allowed by a', policy_version: 'v' })
    const budget = { nodes: 0, decisions: 0 }
    const leaf = memoNode()
    const kept = remember(leaf, decision(), budget)
    assert.equal(leaf.decision, kept)
    assert.ok(Object.isFrozen(kept) && Object.isFrozen(kept.matched_rules))
    assert.equal(memoFull(budget), false)
    budget.decisions = MAX_MEMO_DECISIONS
    const other = memoNode()
    assert.ok(Object.isFrozen(remember(other, decision(), budget)))
    assert.equal(other.decision, undefined)
    assert.equal(memoFull(budget), true)
  })
})
