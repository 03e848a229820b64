import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { actionDigest as serverDigest, canonicalJson as serverCanonical } from '../action/index.js'
import { actionDigest, canonicalJson } from './index.js'

interface Vectors {
  readonly canonical: readonly { name: string; input: string; canonical: string; sha256: string }[]
  readonly actions: readonly { name: string; action: { kind: 'sql'; target: string; payload: Record<string, unknown> }; canonical: string; digest: string }[]
}
const vectors = JSON.parse(readFileSync(new URL('../../test-vectors/canonical-json.json', import.meta.url), 'utf8')) as Vectors
const sha256 = async (text: string) => Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('hex')

describe('the SDK canonical JSON and digest', () => {
  for (const vector of vectors.canonical) {
    it(`matches the README test vector: ${vector.name}`, async () => {
      const text = canonicalJson(JSON.parse(vector.input))
      assert.equal(text, vector.canonical)
      assert.equal(await sha256(text), vector.sha256)
    })
  }

  for (const vector of vectors.actions) {
    it(`gives the action digest of the vectors: ${vector.name}`, async () => {
      assert.equal(canonicalJson({ kind: vector.action.kind, target: vector.action.target, payload: vector.action.payload }), vector.canonical)
      assert.equal(await actionDigest(vector.action), vector.digest)
    })
  }

  it('agrees with the gateway on any JSON value, byte for byte', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.equal(canonicalJson(value), serverCanonical(value))
      }),
      { numRuns: 500 },
    )
  })

  it('agrees with the gateway on the digest of actions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (payload) => {
        const action = { kind: 'custom' as const, target: 'any', payload }
        assert.equal(await actionDigest(action), serverDigest(action))
      }),
      { numRuns: 200 },
    )
  })

  it('refuses what JSON cannot carry exactly, as the gateway does', () => {
    assert.throws(() => canonicalJson({ text: 'a\ud800b' }), /lone surrogate/)
    assert.throws(() => canonicalJson([Number.NaN]), /not a finite number/)
    assert.throws(() => canonicalJson({ n: Infinity }), /not a finite number/)
    assert.throws(() => canonicalJson({ f: () => 1 }), /function/)
    assert.equal(canonicalJson({ a: undefined, b: -0 }), '{"b":0}')
  })
})
