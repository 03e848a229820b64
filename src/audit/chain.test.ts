import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { canonicalJson } from '../action/index.js'
import { CountersignError } from '../errors/index.js'
import { chainHash } from './seal.js'
import { GENESIS_HASH, sealEvent, sealEvents, verifyChain, type AuditEventBody, type Checkpoint, type StoredAuditEvent } from './index.js'
import { checkpointsFor, editText, forge, problemKeys, sampleBody, sampleChain, testKey } from './test-support.js'

const key = testKey()

/** Verifies rows, with a signed checkpoint at each of `checkpointAt` (seqs of the untampered chain). */
async function verify(rows: readonly StoredAuditEvent[], checkpoints: readonly Checkpoint[] = []) {
  return verifyChain(rows, { checkpoints, publicKeys: [key.publicKey] })
}

function without(rows: readonly StoredAuditEvent[], ...seqs: number[]): StoredAuditEvent[] {
  return rows.filter((row) => !seqs.includes(row.seq))
}

function replace(rows: readonly StoredAuditEvent[], seq: number, by: (row: StoredAuditEvent) => StoredAuditEvent): StoredAuditEvent[] {
  return rows.map((row) => (row.seq === seq ? by(row) : row))
}

function at(rows: readonly StoredAuditEvent[], seq: number): StoredAuditEvent {
  const row = rows.find((candidate) => candidate.seq === seq)
  assert.ok(row, `no row ${seq}`)
  return row
}

function expectError(code: string, pattern: RegExp) {
  return (error: unknown) => error instanceof CountersignError && error.code === code && pattern.test(error.message)
}

describe('sealing', () => {
  it('hashes the previous hash as 32 raw bytes followed by the canonical text', () => {
    const sealed = sealEvent(GENESIS_HASH, sampleBody(1))
    const expected = createHash('sha256').update(Buffer.alloc(32)).update(sealed.event, 'utf8').digest('hex')
    assert.equal(sealed.hash, expected)
    assert.equal(sealed.prev_hash, GENESIS_HASH)
    assert.equal(sealed.seq, 1)
    assert.match(sealed.event, /^\{"action_id":/, 'members sorted: the text is RFC 8785 canonical JSON')
    assert.deepEqual(JSON.parse(sealed.event), sampleBody(1))
  })

  it('writes exactly the canonical JSON of the body, whatever its members hold', () => {
    const text = fc.string({ unit: 'binary' })
    const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown)
    fc.assert(
      fc.property(
        fc.record({
          action_id: fc.option(text.filter((value) => value !== ''), { nil: null }),
          actor: fc.oneof(fc.constant('system'), text.filter((value) => /^\S+$/.test(value)).map((id) => `agent:${id}`)),
          policy_version: fc.option(text.filter((value) => value !== ''), { nil: null }),
          data: fc.dictionary(text, json),
        }),
        (members) => {
          const body = { ...sampleBody(7), ...members }
          let expected: string | Error
          try {
            expected = canonicalJson(body)
          } catch (error) {
            expected = error as Error
          }
          if (typeof expected === 'string') assert.equal(sealEvent(GENESIS_HASH, body).event, expected)
          else assert.throws(() => sealEvent(GENESIS_HASH, body), { message: expected.message })
        },
      ),
      { numRuns: 300 },
    )
    // A lone surrogate anywhere is refused with the message canonical JSON gives for it.
    assert.throws(() => sealEvent(GENESIS_HASH, { ...sampleBody(1), data: { reason: 'a\ud800' } }), expectError('INVALID', /^data\.reason contains a lone surrogate/))
    assert.throws(() => sealEvent(GENESIS_HASH, { ...sampleBody(1), action_id: 'act\udc00' }), expectError('INVALID', /^action_id contains a lone surrogate/))
  })

  it('chains a batch, each event to the one before it', () => {
    const rows = sampleChain(5)
    assert.equal(rows[0]!.prev_hash, GENESIS_HASH)
    for (let index = 1; index < rows.length; index += 1) {
      assert.equal(rows[index]!.prev_hash, rows[index - 1]!.hash)
      assert.equal(rows[index]!.hash, chainHash(rows[index - 1]!.hash, rows[index]!.event))
    }
    assert.deepEqual(sealEvents(rows[4]!.hash, []), [])
  })

  it('refuses what would make an unverifiable or ambiguous log', () => {
    const body = sampleBody(1)
    const cases: [string, () => unknown, RegExp][] = [
      ['a previous hash that is not 64 lower-case hex digits', () => sealEvent(GENESIS_HASH.toUpperCase().replace(/0/g, 'A'), body), /previous hash/],
      ['an unknown event type', () => sealEvent(GENESIS_HASH, { ...body, type: 'action.teleported' as AuditEventBody['type'] }), /unknown type/],
      ['an extra member', () => sealEvent(GENESIS_HASH, { ...body, extra: 1 } as AuditEventBody), /unknown member "extra"/],
      ['a missing member', () => sealEvent(GENESIS_HASH, { ...body, actor: undefined } as unknown as AuditEventBody), /actor/],
      ['a local time', () => sealEvent(GENESIS_HASH, { ...body, at: '2026-01-05T13:00:00.000+01:00' }), /ISO 8601 UTC/],
      ['a time without milliseconds', () => sealEvent(GENESIS_HASH, { ...body, at: '2026-01-05T12:00:00Z' }), /ISO 8601 UTC/],
      ['an impossible date', () => sealEvent(GENESIS_HASH, { ...body, at: '2026-02-30T12:00:00.000Z' }), /ISO 8601 UTC/],
      ['a seq of 0', () => sealEvent(GENESIS_HASH, { ...body, seq: 0 }), /seq/],
      ['an actor that is no principal', () => sealEvent(GENESIS_HASH, { ...body, actor: 'alice' }), /actor/],
      ['a digest that is not a SHA-256', () => sealEvent(GENESIS_HASH, { ...body, digest: 'abc' }), /digest/],
      ['data that is an array', () => sealEvent(GENESIS_HASH, { ...body, data: [] as unknown as Record<string, unknown> }), /data/],
      ['data JSON cannot carry', () => sealEvent(GENESIS_HASH, { ...body, data: { n: Number.NaN } }), /finite/],
      ['a batch with a gap in its seqs', () => sealEvents(GENESIS_HASH, [sampleBody(1), sampleBody(3)]), /consecutive/],
    ]
    for (const [name, seal, message] of cases) {
      assert.throws(seal, expectError('INVALID', message), name)
    }
  })
})

describe('verifying an intact chain', () => {
  it('verifies a chain of events and reports its head', async () => {
    const rows = sampleChain(50)
    const report = await verify(rows, checkpointsFor([at(rows, 20), at(rows, 50)], key))
    assert.deepEqual(report, { ok: true, events: 50, head: { seq: 50, hash: at(rows, 50).hash }, checkpoints: 2, problems: [], warnings: [] })
  })

  it('verifies an empty log', async () => {
    assert.deepEqual(await verify([]), { ok: true, events: 0, head: null, checkpoints: 0, problems: [], warnings: [] })
  })

  it('reads rows from an async stream', async () => {
    const rows = sampleChain(30)
    async function* stream() {
      for (const row of rows) yield row
    }
    const report = await verifyChain(stream())
    assert.equal(report.ok, true)
    assert.equal(report.events, 30)
  })

  it('does not mind the order rows arrive in when each is at its own seq', async () => {
    const rows = sampleChain(10)
    const report = await verify([...rows.slice(0, 3), at(rows, 5), at(rows, 4), ...rows.slice(5)])
    assert.deepEqual(report.problems, [])
  })

  it('cannot see a removed tail or a re-hashed history without checkpoints (that is what they are for)', async () => {
    const rows = sampleChain(10)
    assert.equal((await verify(rows.slice(0, 7))).ok, true)
    const rewritten = sealEvents(at(rows, 4).hash, [5, 6, 7, 8, 9, 10].map((seq) => sampleBody(seq, { rewritten: true })))
    assert.equal((await verify([...rows.slice(0, 4), ...rewritten])).ok, true)
  })
})

describe('verifying a tampered chain: one problem, where it happened, as what it is', () => {
  const rows = sampleChain(10)
  const signedHead = checkpointsFor([at(rows, 10)], key)
  const swap = (a: number, b: number) => rows.map((row) => (row.seq === a ? { ...at(rows, b), seq: a } : row.seq === b ? { ...at(rows, a), seq: b } : row))

  const cases: { name: string; rows: () => StoredAuditEvent[]; checkpoints?: readonly Checkpoint[]; problems: string[]; message?: RegExp }[] = [
    {
      name: 'a field edited in the text',
      rows: () => replace(rows, 4, (row) => editText(row, (body) => (body.actor = 'human:mallory@example.com'))),
      problems: ['4 modified'],
      message: /event 4's text was modified/,
    },
    {
      name: 'the stored hash edited',
      rows: () => replace(rows, 4, (row) => ({ ...row, hash: 'f'.repeat(64) })),
      problems: ['4 modified'],
      message: /event 4's stored hash was modified/,
    },
    {
      name: 'the prev_hash edited',
      rows: () => replace(rows, 4, (row) => ({ ...row, prev_hash: 'e'.repeat(64) })),
      problems: ['4 modified'],
      message: /prev_hash was edited/,
    },
    {
      name: 'data changed deep inside the nested JSON',
      rows: () => replace(rows, 7, (row) => editText(row, (body) => ((body.data as { result: { rows: { id: number }[] } }).result.rows[0]!.id = 999))),
      problems: ['7 modified'],
    },
    {
      name: 'the text re-serialized with another key order, same meaning',
      rows: () => replace(rows, 6, (row) => ({ ...row, event: JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(row.event) as object).reverse())) })),
      problems: ['6 modified'],
      message: /no longer canonical JSON/,
    },
    {
      name: 'the text pretty-printed, as a jsonb round trip could',
      rows: () => replace(rows, 6, (row) => ({ ...row, event: JSON.stringify(JSON.parse(row.event), null, 1) })),
      problems: ['6 modified'],
    },
    {
      name: 'the text’s own seq edited',
      rows: () => replace(rows, 6, (row) => editText(row, (body) => (body.seq = 60))),
      problems: ['6 modified'],
      message: /now says seq 60/,
    },
    {
      name: 'an event rewritten with a recomputed hash',
      rows: () => replace(rows, 5, (row) => ({ ...sealEvent(row.prev_hash, sampleBody(5, { rewritten: true })) })),
      problems: ['5 modified'],
      message: /event 5 was rewritten with a recomputed hash/,
    },
    { name: 'a middle event deleted', rows: () => without(rows, 5), problems: ['5 missing'], message: /^event 5 is missing/ },
    { name: 'two middle events deleted', rows: () => without(rows, 5, 6), problems: ['5 missing'], message: /^events 5–6 are missing/ },
    { name: 'the first events deleted', rows: () => without(rows, 1, 2), problems: ['1 missing'], message: /^events 1–2 are missing \(the chain goes from the genesis hash/ },
    { name: 'the last events deleted, under a checkpoint', rows: () => without(rows, 9, 10), checkpoints: signedHead, problems: ['9 truncated'], message: /events 9–10 are missing from the end/ },
    { name: 'every event deleted, under a checkpoint', rows: () => [], checkpoints: signedHead, problems: ['1 truncated'] },
    {
      name: 'the tail rolled back and re-appended, under a checkpoint',
      rows: () => [...rows.slice(0, 7), ...sealEvents(at(rows, 7).hash, [8, 9, 10, 11].map((seq) => sampleBody(seq, { replaced: true })))],
      checkpoints: checkpointsFor([at(rows, 5), at(rows, 10)], key),
      problems: ['10 truncated'],
      message: /rewritten after it was signed, in events 6–10/,
    },
    {
      name: 'a forged event inserted, later rows renumbered to make room',
      rows: () => [...rows.slice(0, 5), forge(at(rows, 5).hash, 6), ...rows.slice(5).map((row) => ({ ...row, seq: row.seq + 1 }))],
      problems: ['6 inserted'],
      message: /event 6 was inserted: it is not part of the chain, which goes on from event 5 with the event stored at seq 7/,
    },
    {
      name: 'a forged event inserted at the very start',
      rows: () => [forge(GENESIS_HASH, 1), ...rows.map((row) => ({ ...row, seq: row.seq + 1 }))],
      problems: ['1 inserted'],
    },
    { name: 'a forged second event 5 after the real one', rows: () => [...rows.slice(0, 5), forge(at(rows, 4).hash, 5), ...rows.slice(5)], problems: ['5 inserted'], message: /second event 5/ },
    { name: 'a forged second event 5 before the real one', rows: () => [...rows.slice(0, 4), forge(at(rows, 4).hash, 5), ...rows.slice(4)], problems: ['5 inserted'] },
    { name: 'a forged event appended that chains to nothing', rows: () => [...rows, forge('d'.repeat(64), 11)], problems: ['11 inserted'] },
    { name: 'two neighbours swapped', rows: () => swap(5, 6), problems: ['5 reordered', '6 reordered'], message: /event 6 is stored out of place, at seq 5/ },
    { name: 'two distant events swapped', rows: () => swap(3, 8), problems: ['3 reordered', '8 reordered'] },
    {
      name: 'one event renumbered to the end',
      rows: () => [...without(rows, 5), { ...at(rows, 5), seq: 15 }],
      problems: ['15 reordered'],
      message: /event 5 is stored out of place, at seq 15/,
    },
    {
      name: 'the rows from one event on renumbered',
      rows: () => rows.map((row) => (row.seq >= 6 ? { ...row, seq: row.seq + 1 } : row)),
      problems: ['7 reordered'],
      message: /events from seq 7 on are stored 1 above their own seq/,
    },
    {
      name: 'an event deleted and the rows after it renumbered to close the gap',
      rows: () => without(rows, 5).map((row) => (row.seq > 5 ? { ...row, seq: row.seq - 1 } : row)),
      problems: ['5 missing', '5 reordered'],
    },
    { name: 'a text that is not JSON', rows: () => replace(rows, 3, (row) => ({ ...row, event: 'not json' })), problems: ['3 malformed'], message: /is not JSON, and no longer hashes/ },
    {
      name: 'a text with a member removed',
      rows: () => {
        const { actor: _, ...body } = JSON.parse(at(rows, 3).event) as Record<string, unknown>
        const event = JSON.stringify(body)
        return replace(rows, 3, (row) => ({ ...row, event }))
      },
      problems: ['3 malformed'],
      message: /has no actor/,
    },
    { name: 'a row with no text', rows: () => replace(rows, 3, (row) => ({ ...row, event: null }) as unknown as StoredAuditEvent), problems: ['3 malformed'], message: /lacks/ },
    { name: 'a row with no prev_hash', rows: () => replace(rows, 3, (row) => ({ ...row, prev_hash: undefined }) as unknown as StoredAuditEvent), problems: ['3 malformed'] },
    {
      name: 'a first event that does not start from the genesis hash',
      rows: () => sealEvents('1'.repeat(64), rows.map((row) => JSON.parse(row.event) as AuditEventBody)),
      problems: ['1 modified'],
      message: /event 1 does not start from the genesis hash/,
    },
    {
      name: 'the first event replaced by one that does not start from the genesis hash',
      rows: () => replace(rows, 1, () => sealEvent('1'.repeat(64), sampleBody(1))),
      problems: ['1 modified'],
    },
  ]

  for (const scenario of cases) {
    it(`reports ${scenario.name}`, async () => {
      const report = await verify(scenario.rows(), scenario.checkpoints)
      assert.equal(report.ok, false)
      assert.deepEqual(problemKeys(report.problems), scenario.problems, JSON.stringify(report.problems, null, 1))
      if (scenario.message) assert.match(report.problems[0]!.message, scenario.message)
    })
  }

  it('reports every tampering in one pass, resynchronizing after each', async () => {
    const long = sampleChain(40)
    let tampered = replace(long, 5, (row) => editText(row, (body) => (body.type = 'action.approved')))
    tampered = without(tampered, 12, 13)
    tampered = replace(tampered, 20, (row) => ({ ...row, hash: '0'.repeat(63) + '1' }))
    const after30 = tampered.findIndex((row) => row.seq === 30) + 1
    tampered = [...tampered.slice(0, after30), forge(at(long, 30).hash, 31), ...tampered.slice(after30).map((row) => ({ ...row, seq: row.seq + 1 }))]
    const report = await verify(tampered)
    assert.deepEqual(problemKeys(report.problems), ['5 modified', '12 missing', '20 modified', '31 inserted'])
    assert.equal(report.head?.seq, 40)
  })

  it('lists at most maxProblems problems and still reads every row', async () => {
    const long = sampleChain(30)
    const tampered = long.map((row) => (row.seq % 3 === 0 ? editText(row, (body) => (body.channel = 'cli')) : row))
    const report = await verifyChain(tampered, { maxProblems: 4 })
    assert.equal(report.ok, false)
    assert.equal(report.problems.length, 4)
    assert.equal(report.events, 30)
    await assert.rejects(verifyChain(tampered, { maxProblems: 0 }), expectError('INVALID', /maxProblems/))
  })
})

describe('verification properties', () => {
  type Mutation = 'modify-text' | 'modify-hash' | 'delete' | 'swap' | 'insert' | 'renumber'
  const mutations: Mutation[] = ['modify-text', 'modify-hash', 'delete', 'swap', 'insert', 'renumber']

  function mutate(rows: StoredAuditEvent[], mutation: Mutation, i: number, j: number): StoredAuditEvent[] {
    const n = rows.length
    const a = (i % n) + 1
    const b = (((j % (n - 1)) + a) % n) + 1 // another seq than a
    switch (mutation) {
      case 'modify-text':
        return replace(rows, a, (row) => editText(row, (body) => (body.data = { ...(body.data as object), tampered: j })))
      case 'modify-hash':
        return replace(rows, a, (row) => ({ ...row, hash: createHash('sha256').update(row.hash).digest('hex') }))
      case 'delete':
        return without(rows, a)
      case 'swap':
        return rows.map((row) => (row.seq === a ? { ...at(rows, b), seq: a } : row.seq === b ? { ...at(rows, a), seq: b } : row))
      case 'insert':
        return [...rows.slice(0, a - 1), forge(a === 1 ? GENESIS_HASH : at(rows, a - 1).hash, a), ...rows.slice(a - 1).map((row) => ({ ...row, seq: row.seq + 1 }))]
      case 'renumber':
        return [...without(rows, a), { ...at(rows, a), seq: n + 1 + (j % 5) }]
    }
  }

  it('reports any single mutation of a valid chain at a random position', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 25 }), fc.constantFrom(...mutations), fc.nat(), fc.nat(), async (n, mutation, i, j) => {
        const rows = sampleChain(n)
        const report = await verify(mutate(rows, mutation, i, j), checkpointsFor([at(rows, n)], key))
        assert.equal(report.ok, false, `${mutation} at ${(i % n) + 1} of ${n} went unnoticed`)
        assert.ok(report.problems.length > 0)
      }),
      { numRuns: 300 },
    )
  })

  it('never throws on rows that are not audit events, and reports them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.anything(), fc.record({ seq: fc.integer(), prev_hash: fc.string(), hash: fc.string(), event: fc.string() })), { minLength: 1, maxLength: 20 }), async (junk) => {
        const report = await verifyChain(junk as StoredAuditEvent[])
        assert.equal(report.ok, false)
      }),
      { numRuns: 200 },
    )
  })
})

describe('time going backwards in the audit log', () => {
  it('is a warning, once per step back, and leaves the chain ok', async () => {
    const bodies = [1, 2, 3, 4, 5].map((seq) => sampleBody(seq))
    // The clock was set back three years before event 3, and forward again before event 5.
    const back = (body: AuditEventBody, at: string): AuditEventBody => ({ ...body, at })
    bodies[2] = back(bodies[2]!, '2023-01-01T00:00:00.000Z')
    bodies[3] = back(bodies[3]!, '2023-01-01T00:00:01.000Z')
    const rows = sealEvents(GENESIS_HASH, bodies)
    const report = await verifyChain(rows)
    assert.equal(report.ok, true)
    assert.deepEqual(report.problems, [])
    assert.deepEqual(report.warnings.map((warning) => [warning.seq, warning.kind]), [[3, 'time_backwards']])
    assert.match(report.warnings[0]!.message, /^event 3 is at 2023-01-01T00:00:00\.000Z, 3 years before event 2 \(.+\) stored ahead of it: the gateway's clock went back/)
    assert.deepEqual((await verifyChain(sampleChain(20))).warnings, [])
  })
})
