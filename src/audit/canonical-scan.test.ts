import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { canonicalJson } from '../action/index.js'
import { scanCanonicalEvent } from './canonical-scan.js'
import { sampleBody } from './test-support.js'

/** The slow path's answer: canonical when re-canonicalizing the parsed text gives it back. */
function reference(text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text)) === text
  } catch {
    return false
  }
}

/** What the scanner must agree with whenever it answers: the parsed members verification reads. */
function topMembers(text: string): Record<string, unknown> {
  const parsed = JSON.parse(text) as Record<string, unknown>
  const members: Record<string, unknown> = {}
  for (const key of ['seq', 'at', 'type', 'action_id', 'actor', 'channel', 'digest', 'policy_version']) if (Object.hasOwn(parsed, key)) members[key] = parsed[key]
  if (Object.hasOwn(parsed, 'data')) members['data'] = {}
  return members
}

/** Small edits a tamperer or a non-conforming writer makes to a canonical text. */
const edits: ((text: string) => string)[] = [
  (text) => text.replace(':', ': '),
  (text) => text.replace('"action_id"', '"action_id" '),
  (text) => text.replace(/"note":"([^"]*)"/, '"note":"\\u0041$1"'),
  (text) => text.replace(/"note":"/, '"note":"\\/'),
  (text) => text.replace(/"note":"/, '"note":"\\ud800'),
  (text) => text.replace(/"affected":(\d+)/, '"affected":$1.0'),
  (text) => text.replace(/"affected":(\d+)/, '"affected":1e2'),
  (text) => text.replace(/"affected":(\d+)/, '"affected":-0'),
  (text) => text.replace(/"affected":(\d+)/, '"affected":0$1'),
  (text) => text.replace('{"action_id"', '{"zzz":1,"action_id"'),
  (text) => text.replace('"actor"', '"actor":"x","actor"'),
  (text) => `${text} `,
  (text) => text.replace('"data":{', '"data":{"b":1,"a":2,'),
  (text) => text.replace('"data":{', '"data":{"a":"\\u001F",'),
  (text) => text.replace('"data":{', '"data":{"a":"\\u001f","b":"\\n\\t\\"\\\\","c":"\u00e9\ud83d\ude00\u2028",'),
  (text) => text.replace('"data":{', '"data":{"a":"\ud800",'),
  (text) => text.replace('"data":{', '"data":{"a":"\u0001",'),
  (text) => text.replace('"seq":', '"seq":"1",'),
  (text) => text.replace('"data":{', '"data":['),
  (text) => text.replace('"data":{', '"data":{"10":1,"9":2,'),
  (text) => text.replace('"data":{', '"data":{"9":1,"10":2,'),
  (text) => text.slice(0, -1),
]

describe('the one-pass canonical reader of event texts', () => {
  it('reads sealed events as canonical, with the members JSON.parse gives', () => {
    for (let seq = 1; seq <= 200; seq++) {
      const text = canonicalJson(sampleBody(seq))
      assert.deepEqual(scanCanonicalEvent(text), topMembers(text))
    }
  })

  it('never calls canonical what re-canonicalizing does not give back, for every edit', () => {
    for (let seq = 1; seq <= 30; seq++) {
      for (const [index, edit] of edits.entries()) {
        const text = edit(canonicalJson(sampleBody(seq)))
        const scanned = scanCanonicalEvent(text)
        if (scanned !== undefined) {
          assert.ok(reference(text), `edit ${index} accepted a text that is not canonical: ${text}`)
          assert.deepEqual(scanned, topMembers(text), `edit ${index}`)
        }
      }
    }
  })

  it('agrees with parse-and-recanonicalize on any JSON data, canonical or shuffled', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (data, shuffled) => {
        const body = { ...sampleBody(7), data: typeof data === 'object' && data !== null && !Array.isArray(data) ? data : { value: data } }
        let text = canonicalJson(body)
        if (shuffled) text = JSON.stringify(JSON.parse(text), (_key, value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).reverse()) : value))
        const scanned = scanCanonicalEvent(text)
        if (scanned !== undefined) {
          assert.ok(reference(text), text)
          assert.deepEqual(scanned, topMembers(text))
        }
        if (!shuffled && !text.includes('\\')) assert.notEqual(scanned, undefined, `a plain canonical text was not read: ${text}`)
      }),
      { numRuns: 2000 },
    )
  })

  it('gives up rather than guess on escapes in top-level strings and unusual members', () => {
    const text = canonicalJson({ ...sampleBody(3), actor: 'human:a"b@example.com' })
    assert.equal(scanCanonicalEvent(text), undefined)
    assert.ok(reference(text), 'still canonical: the slow path decides')
  })
})
