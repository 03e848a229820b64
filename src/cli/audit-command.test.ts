import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { cliAgainst, startStandIn, type StandIn } from './test-api-stand-in.js'

describe('countersign audit verify', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())

  it('says the chain is OK with its counts and head, exit 0', async () => {
    standIn.verifyReport = { ok: true, events: 42, head: { seq: 42, hash: 'c0ffee'.repeat(10) + 'abcd' }, checkpoints: 3, problems: [] }
    const result = await cliAgainst(standIn, ['audit', 'verify'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, 'audit chain OK: 42 events, 3 checkpoints, head seq 42 hash c0ffeec0ffeec0ff…\n')
  })

  it('warns, without failing, when time went backwards between events (also in --json)', async () => {
    const warning = { seq: 7, kind: 'time_backwards', message: 'event 7 is at 2023-01-01T00:00:00.000Z, 3 years before event 6 (2026-01-05T12:00:06.000Z) stored ahead of it: the gateway\'s clock went back' }
    standIn.verifyReport = { ok: true, events: 9, head: { seq: 9, hash: 'a'.repeat(64) }, checkpoints: 0, problems: [], warnings: [warning] }
    const result = await cliAgainst(standIn, ['audit', 'verify'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout, `audit chain OK: 9 events, 0 checkpoints, head seq 9 hash aaaaaaaaaaaaaaaa… (1 warning)\nwarning: seq 7: time_backwards: ${warning.message}\n`)
    const json = await cliAgainst(standIn, ['audit', 'verify', '--json'])
    assert.deepEqual(JSON.parse(json.stdout).warnings, [warning])
  })

  it('lists each problem and exits 1 when the chain does not verify', async () => {
    standIn.verifyReport = {
      ok: false,
      events: 10,
      head: { seq: 10, hash: 'f'.repeat(64) },
      checkpoints: 1,
      problems: [
        { seq: 4, kind: 'modified', message: 'hash does not match the event' },
        { seq: 7, kind: 'missing', message: 'expected seq 7, found 8' },
      ],
    }
    const result = await cliAgainst(standIn, ['audit', 'verify'])
    assert.equal(result.code, 1)
    assert.equal(
      result.stdout,
      'audit chain NOT OK: 2 problems in 10 events, 1 checkpoint, head seq 10 hash ffffffffffffffff…\nseq 4: modified: hash does not match the event\nseq 7: missing: expected seq 7, found 8\n',
    )
  })

  it('prints the report as JSON with --json and still exits 1 when not ok', async () => {
    standIn.verifyReport = { ok: false, events: 1, head: null, checkpoints: 0, problems: [{ seq: 1, kind: 'truncated', message: 'x' }] }
    const result = await cliAgainst(standIn, ['audit', 'verify', '--json'])
    assert.equal(result.code, 1)
    assert.deepEqual(JSON.parse(result.stdout), standIn.verifyReport)
  })

  it('exits 3 when the token may not read the audit log', async () => {
    standIn.refuseWith = { status: 403, code: 'FORBIDDEN', detail: 'only auditors and admins read the audit log' }
    try {
      const result = await cliAgainst(standIn, ['audit', 'verify'])
      assert.equal(result.code, 3)
      assert.equal(result.stderr, 'countersign: only auditors and admins read the audit log\n')
    } finally {
      standIn.refuseWith = undefined
    }
  })
})

describe('countersign audit export', () => {
  let standIn: StandIn
  before(async () => {
    standIn = await startStandIn()
    standIn.auditEvents = Array.from({ length: 2500 }, (_, index) => ({
      seq: index + 1,
      prev_hash: String(index).padStart(64, '0'),
      hash: String(index + 1).padStart(64, '0'),
      event: {
        seq: index + 1,
        at: '2030-01-01T00:00:00.000Z',
        type: 'review.deny',
        action_id: 'act_00000000000000000000000001',
        actor: 'human:alice@example.com',
        channel: 'slack',
        digest: 'a'.repeat(64),
        policy_version: null,
        data: { reason: 'no, "never", not this' },
      },
    }))
  })
  after(() => standIn.close())
  beforeEach(() => (standIn.requests.length = 0))

  it('pages through the whole log and writes one JSON line per event', async () => {
    const result = await cliAgainst(standIn, ['audit', 'export'])
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout.trimEnd().split('\n')
    assert.equal(lines.length, 2500)
    assert.deepEqual(JSON.parse(lines[0] ?? ''), standIn.auditEvents[0])
    assert.deepEqual(
      standIn.requests.map((request) => request.query.get('since')),
      ['0', '1000', '2000'],
    )
  })

  it('starts after --since and writes CSV with the documented columns, quoting as RFC 4180 says', async () => {
    const result = await cliAgainst(standIn, ['audit', 'export', '--since', '2498', '--format', 'csv'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(
      result.stdout,
      'seq,at,type,action_id,actor,channel,digest,policy_version,hash,data\n' +
        `2499,2030-01-01T00:00:00.000Z,review.deny,act_00000000000000000000000001,human:alice@example.com,slack,${'a'.repeat(64)},,${'2499'.padStart(64, '0')},"{""reason"":""no, \\""never\\"", not this""}"\n` +
        `2500,2030-01-01T00:00:00.000Z,review.deny,act_00000000000000000000000001,human:alice@example.com,slack,${'a'.repeat(64)},,${'2500'.padStart(64, '0')},"{""reason"":""no, \\""never\\"", not this""}"\n`,
    )
  })

  for (const [name, argv, message] of [
    ['a --since that is not a sequence number', ['--since', '2025-01-01'], /--since: expected a sequence number/],
    ['an unknown format', ['--format', 'xml'], /argument 'xml' is invalid\. Allowed choices are jsonl, csv/],
  ] as const) {
    it(`refuses ${name} with exit 2, sending nothing`, async () => {
      const result = await cliAgainst(standIn, ['audit', 'export', ...argv])
      assert.equal(result.code, 2)
      assert.match(result.stderr, message)
      assert.equal(standIn.requests.length, 0)
    })
  }
})
