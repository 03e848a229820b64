import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_MEMO_NODES, memoLeaf, memoNode } from './decision-memo.js'

describe('the trie of remembered decisions', () => {
  it('finds the same leaf for the same values and a different one for others', () => {
    const root = memoNode()
    const budget = { nodes: 0 }
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
    const budget = { nodes: 0 }
    const leaf = memoLeaf(root, Uint8Array.of(0, 1), budget)
    budget.nodes = MAX_MEMO_NODES
    assert.equal(memoLeaf(root, Uint8Array.of(1, 1), budget), undefined)
    assert.equal(memoLeaf(root, Uint8Array.of(0, 1), budget), leaf)
    assert.equal(budget.nodes, MAX_MEMO_NODES)
  })
})
