import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { EventHasher } from './event-hasher.js'
import { leafHash } from './merkle.js'
import { chainHash } from './seal.js'

describe('the event hasher (one encoding for the chain and leaf hashes)', () => {
  it('gives the chain and leaf hashes of texts of every kind of length, in any order, as the one-off functions do', () => {
    const hasher = new EventHasher()
    const prev = createHash('sha256').update('prev').digest('hex')
    // Lengths come back (views kept by length), multi-byte text, and texts past the scratch buffer (it grows).
    const texts = ['{}', 'a'.repeat(287), '{"é":"😀"}', 'b'.repeat(287), '', 'c'.repeat(40_000), 'é'.repeat(30_000), 'd'.repeat(287), '{}', 'x'.repeat(100_000), 'a'.repeat(287)]
    for (const text of texts) {
      const target = Buffer.alloc(40, 0xff)
      assert.equal(hasher.chain(prev, text), chainHash(prev, text), `chain, ${text.length} characters`)
      assert.deepEqual(hasher.leaf(text), leafHash(text), `leaf, ${text.length} characters`)
      hasher.leafInto(text, target, 4)
      assert.deepEqual(target, Buffer.concat([Buffer.alloc(4, 0xff), leafHash(text), Buffer.alloc(4, 0xff)]))
      // The leaf first, then the chain: the same answers.
      const fresh = new EventHasher()
      assert.deepEqual(fresh.leaf(text), leafHash(text))
      assert.equal(fresh.chain(prev, text), chainHash(prev, text))
    }
  })
})
