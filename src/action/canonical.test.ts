import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import canonicalizeModule from 'canonicalize'
import fc from 'fast-check'
import { CountersignError } from '../errors/index.js'
import { actionDigest, canonicalJson, canonicalSha256 } from './index.js'

interface Vectors {
  readonly canonical: readonly { name: string; input: string; canonical: string; sha256: string }[]
  readonly actions: readonly { name: string; action: { kind: 'sql'; target: string; payload: Record<string, unknown> }; canonical: string; digest: string }[]
}
const vectors = JSON.parse(readFileSync(new URL('../../test-vectors/canonical-json.json', import.meta.url), 'utf8')) as Vectors
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

describe('canonical JSON (RFC 8785) test vectors', () => {
  for (const vector of vectors.canonical) {
    it(vector.name, () => {
      assert.equal(canonicalJson(JSON.parse(vector.input)), vector.canonical)
      assert.equal(canonicalSha256(JSON.parse(vector.input)), vector.sha256)
      assert.equal(sha256(vector.canonical), vector.sha256, 'the vector file is self-consistent')
    })
  }
})

describe('canonical JSON and the canonicalize package', () => {
  // The package is CommonJS whose typings claim an ES default export; its default import is the function.
  const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined
  it('writes the same text for any JSON value (with undefined members and items, and toJSON)', () => {
    const value = fc.oneof(fc.jsonValue(), fc.record({ a: fc.constant(undefined), b: fc.array(fc.oneof(fc.constant(undefined), fc.integer())), c: fc.date({ noInvalidDate: true }) }))
    fc.assert(
      fc.property(value, (input) => {
        let text: string
        try {
          text = canonicalJson(input)
        } catch {
          return // not I-JSON (a lone surrogate): refused before either writes anything
        }
        assert.equal(text, canonicalize(input))
      }),
      { numRuns: 2000 },
    )
  })
})

describe('action digest test vectors', () => {
  for (const vector of vectors.actions) {
    it(vector.name, () => {
      assert.equal(canonicalJson({ kind: vector.action.kind, target: vector.action.target, payload: vector.action.payload }), vector.canonical)
      assert.equal(actionDigest(vector.action), vector.digest)
    })
  }

  it('ignores the context: describing an action differently does not change what is approved', () => {
    const action = { kind: 'sql' as const, target: 'db', payload: { sql: 'SELECT 1' } }
    assert.equal(actionDigest({ ...action }), actionDigest({ ...action, context: { reason: 'other' } } as typeof action))
  })

  it('changes when any byte of the payload changes', () => {
    const base = actionDigest({ kind: 'sql', target: 'db', payload: { sql: 'DELETE FROM t WHERE id = 1' } })
    assert.notEqual(base, actionDigest({ kind: 'sql', target: 'db', payload: { sql: 'DELETE FROM t WHERE id = 1 ' } }))
    assert.notEqual(base, actionDigest({ kind: 'sql', target: 'db2', payload: { sql: 'DELETE FROM t WHERE id = 1' } }))
    assert.notEqual(base, actionDigest({ kind: 'shell', target: 'db', payload: { sql: 'DELETE FROM t WHERE id = 1' } }))
  })
})

describe('canonical JSON properties', () => {
  it('is the same for any key order and parses back to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value)
        assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)))
        assert.equal(canonicalJson(JSON.parse(text)), text)
        assert.equal(canonicalJson(shuffleKeys(JSON.parse(text))), text)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses what I-JSON cannot carry instead of guessing', () => {
    for (const bad of ['\ud800', { ['\udfff']: 1 }, Number.NaN, Number.POSITIVE_INFINITY, { x: 1n }, [() => 1]]) {
      assert.throws(() => canonicalJson(bad), (error) => error instanceof CountersignError && error.code === 'INVALID')
    }
  })
})

function shuffleKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shuffleKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, shuffleKeys(item)]))
  }
  return value
}
