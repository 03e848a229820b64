import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { canonicalJson } from '../action/index.js'
import { describeEventFault } from './event.js'
import { RowChecker } from './row-check.js'
import { sampleChain } from './test-support.js'

/**
 * What a row says, the straightforward way: a Hash object over the decoded prev_hash and the
 * text, the text parsed and re-canonicalized in full, hex checked by a regular expression.
 */
function reference(rowSeq: number, prevHash: string, storedHash: string, text: string): { computedHash: string | undefined; intact: boolean; textSeq: number | undefined; kind: string | undefined; canonical: boolean } {
  const hex = /^[0-9a-f]{64}$/
  const computedHash = hex.test(prevHash) ? createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(text, 'utf8').digest('hex') : undefined
  const intact = computedHash === storedHash
  let body: unknown
  let fault: string | undefined
  try {
    body = JSON.parse(text)
    fault = describeEventFault(body, 'verify')
  } catch {
    fault = 'is not JSON'
  }
  let canonical = false
  try {
    canonical = body !== undefined && canonicalJson(body) === text
  } catch {
    canonical = false
  }
  const seq = (body as { seq?: unknown } | null)?.seq
  const textSeq = typeof body === 'object' && body !== null && !Array.isArray(body) && typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 1 ? seq : undefined
  const kind = !hex.test(prevHash) || !hex.test(storedHash) || fault !== undefined ? 'malformed' : !intact ? 'modified' : !canonical ? 'malformed' : undefined
  return { computedHash, intact, textSeq, kind, canonical }
}

const ROWS = sampleChain(40)

/** A change to a stored text: anywhere, by anything, or to another valid event. */
const textEdit = fc.oneof(
  fc.record({ at: fc.nat(), insert: fc.string({ unit: 'binary', maxLength: 4 }), remove: fc.nat({ max: 3 }) }).map(({ at, insert, remove }) => (text: string) => {
    const where = at % (text.length + 1)
    return text.slice(0, where) + insert + text.slice(where + remove)
  }),
  fc.constantFrom<(text: string) => string>(
    (text) => text.replace(':', ': '),
    (text) => text.replace(/"note":"/, '"note":"\\u0041'),
    (text) => text.replace(/"note":"/, '"note":"\\ud800'),
    (text) => text.replace(/"affected":(\d+)/, '"affected":$1.0'),
    (text) => text.replace(/"affected":(\d+)/, '"affected":0$1'),
    (text) => text.replace('"actor"', '"actor":"x","actor"'),
    (text) => text.replace('"data":{', '"data":{"b":1,"a":2,'),
    (text) => text.replace(/"seq":\d+/, '"seq":7'),
    (text) => text.replace(/"at":"[^"]*"/, '"at":"2026-02-30T00:00:00.000Z"'),
  ),
  fc.jsonValue().map((data) => (text: string) => {
    const body = JSON.parse(text) as Record<string, unknown>
    try {
      return canonicalJson({ ...body, data: { value: data } })
    } catch {
      return text
    }
  }),
)

/** A change to a stored hash or prev_hash. */
const hashEdit = fc.constantFrom<(hash: string) => string>(
  (hash) => hash,
  (hash) => `${hash[0] === 'a' ? 'b' : 'a'}${hash.slice(1)}`,
  (hash) => hash.toUpperCase(),
  (hash) => hash.slice(1),
  (hash) => `${hash.slice(0, 63)}g`,
)

describe('RowChecker', () => {
  it('says what the straightforward reference says of any tampered row, in any sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ index: fc.nat({ max: ROWS.length - 1 }), text: fc.option(textEdit), prev: hashEdit, hash: hashEdit, reseal: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        (edits) => {
          // One checker for the sequence: what it remembers between rows must not change an answer.
          const checker = new RowChecker()
          for (const edit of edits) {
            const row = ROWS[edit.index]!
            const text = edit.text === null ? row.event : edit.text(row.event)
            const prevHash = edit.prev(row.prev_hash)
            // Resealed: the stored hash matches the edited text, as a writer that is not conforming would store it.
            const expectedHash = reference(row.seq, prevHash, '', text).computedHash
            const storedHash = edit.reseal && expectedHash !== undefined ? expectedHash : edit.hash(row.hash)
            const want = reference(row.seq, prevHash, storedHash, text)
            const got = checker.check(row.seq, prevHash, storedHash, text, true)
            const what = JSON.stringify({ text, prevHash, storedHash })
            assert.equal(got.computedHash, want.computedHash, what)
            assert.equal(got.intact, want.intact, what)
            assert.equal(got.textSeq, want.textSeq, what)
            assert.equal(got.fault?.kind, want.kind, `${what}: ${got.fault?.message}`)
            if (got.fault?.kind === 'modified') assert.equal(got.fault.message.includes('no longer canonical JSON'), !want.canonical, what)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
