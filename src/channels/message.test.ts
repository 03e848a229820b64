import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StoredAuditEvent } from '../audit/index.js'
import type { ActionState } from '../service/index.js'
import type { ActionRecord, ReviewRecord } from '../store/index.js'
import { messageContent } from './message.js'
import { shownBlock, shownLine } from './shown-text.js'
import { slackMessage } from './slack/blocks.js'

const at = new Date('2025-06-01T12:00:00.000Z')
const requirement = { rule: 'unscoped-writes', approvers: ['group:dba'], min_approvals: 2, timeout_ms: 1_800_000, execute_within_ms: 900_000, reason_required: false, channels: ['slack:#db-approvals'] }

function state(overrides: Partial<ActionRecord> = {}, payload: Record<string, unknown> = { sql: 'DELETE FROM users' }, reviews: ReviewRecord[] = []): ActionState {
  const record: ActionRecord = {
    id: 'act_1',
    createdAt: at,
    updatedAt: at,
    status: 'pending',
    kind: 'sql',
    target: 'prod-db',
    submittedBy: 'agent:deploy-bot',
    agentId: 'deploy-bot',
    owner: 'carol@example.com',
    onBehalfOf: null,
    actionJson: JSON.stringify({ kind: 'sql', payload, target: 'prod-db' }),
    context: { reason: 'cleanup', model: 'm-1' },
    digest: 'd'.repeat(64),
    decision: { effect: 'review', matched_rules: ['unscoped-writes'], messages: [], requirements: [requirement] },
    impact: { summary: 'DELETE on users without WHERE', highlights: ['DELETE without WHERE on users'], facts: null },
    policyVersion: 'p1',
    expiresAt: new Date(at.getTime() + 1_800_000),
    executeBy: null,
    deadline: null,
    result: null,
    version: 1,
    brokered: false,
    leaseOwner: null,
    ...overrides,
  }
  return { record, reviews }
}
const review = (reviewer: string, decision: 'approve' | 'deny', reason = ''): ReviewRecord => ({ reviewer, decision, reason, channel: 'slack', requirements: ['unscoped-writes'], at })
const event = (type: string, actor: string, data: Record<string, unknown>): StoredAuditEvent => ({ seq: 1, prev_hash: '', hash: '', event: JSON.stringify({ type, actor, data }) })
const options = { publicUrl: 'https://cs.example.com', env: 'prod' }

describe('message content', () => {
  it('shows exactly what will run, with invisible characters escaped', () => {
    const content = messageContent(state({}, { sql: 'DELETE FROM users WHERE name = \'a\u202Eb\u200B\'\u00A0;\n\tSELECT 1' }), options)
    assert.equal(content.payloadLabel, 'sql')
    assert.equal(content.payload.text, "DELETE FROM users WHERE name = 'a\\u{202E}b\\u{200B}'\\u{00A0};\n\tSELECT 1")
    assert.equal(content.payload.cut, false)
  })

  it('shows a payload that is not one text as its JSON', () => {
    const content = messageContent(state({ kind: 'http' }, { method: 'POST', url: 'https://api.example.com/x' }), options)
    assert.equal(content.payloadLabel, 'payload')
    assert.deepEqual(JSON.parse(content.payload.text), { method: 'POST', url: 'https://api.example.com/x' })
  })

  it('shows the start of a long payload and says how much more there is, with a link to all of it', () => {
    const sql = Array.from({ length: 400 }, (_, index) => `INSERT INTO t VALUES (${index});`).join('\n')
    const content = messageContent(state({}, { sql }), options)
    assert.equal(content.payload.cut, true)
    assert.equal(content.payload.total, sql.length)
    assert.ok(sql.startsWith(content.payload.text))
    assert.ok(content.payload.text.endsWith(';'), 'cut at a line end')
    const text = JSON.stringify(slackMessage(content).blocks)
    assert.match(text, new RegExp(`Only the first ${content.payload.text.length} of ${sql.length} characters are shown`))
    assert.ok(text.includes('"url":"https://cs.example.com/actions/act_1"'))
  })

  it('never cuts inside an escape marker or a surrogate pair', () => {
    for (let pad = 0; pad < 12; pad++) {
      const shown = shownBlock(`${'x'.repeat(pad)}${'\u202E'.repeat(10)}`, 20)
      assert.match(shown.text, /^x*(\\u\{202E\})*$/)
      const emoji = shownLine(`${'x'.repeat(pad)}${'😀'.repeat(10)}`, 15)
      assert.doesNotMatch(emoji.text, /[\uD800-\uDBFF]$/)
    }
  })

  it('gives the origin and the impact, and keeps line breaks out of one-line fields', () => {
    const content = messageContent(state({ onBehalfOf: 'bob@example.com', context: { reason: 'line one\nStatus: Approved', session: 's', trace_id: 't' } }), options)
    assert.deepEqual(content.origin.map((field) => `${field.label}: ${field.value}`), [
      'Agent: deploy-bot',
      'Owner: carol@example.com',
      'On behalf of: bob@example.com',
      'Session: s',
      'Trace: t',
      'Reason: line one\\u{000A}Status: Approved',
    ])
    assert.equal(content.impactSummary, 'DELETE on users without WHERE')
    assert.deepEqual(content.highlights, ['DELETE without WHERE on users'])
  })

  it('counts approvals per requirement and says how each end came about', () => {
    const pending = messageContent(state({}, undefined, [review('alice@example.com', 'approve')]), options)
    assert.deepEqual(pending.requirements[0]!.approvedBy, ['alice@example.com'])
    assert.equal(pending.reviewable, true)
    const cases: [Partial<ActionRecord>, ReviewRecord[], StoredAuditEvent[], string | undefined, string | undefined][] = [
      [{ status: 'approved' }, [review('alice@example.com', 'approve'), review('bob@example.com', 'approve')], [], 'approved by alice@example.com, bob@example.com', undefined],
      [{ status: 'denied' }, [review('erin@example.com', 'deny', 'too broad')], [], 'denied by erin@example.com: too broad', undefined],
      [{ status: 'expired' }, [], [event('action.expired', 'system', { reason: 'no decision before the request timed out' })], 'expired: no decision before the request timed out', undefined],
      [{ status: 'cancelled' }, [], [event('action.cancelled', 'agent:deploy-bot', { reason: 'not needed' })], 'cancelled by agent:deploy-bot: not needed', undefined],
      [{ status: 'succeeded', result: { status: 'succeeded', duration_ms: 12, row_count: 3, truncated: false } }, [review('alice@example.com', 'approve')], [], 'approved by alice@example.com', 'succeeded in 12 ms, 3 rows'],
      [{ status: 'failed', result: { status: 'failed', duration_ms: 8, error: 'relation "users" does not exist' } }, [], [], undefined, 'failed in 8 ms: relation "users" does not exist'],
    ]
    for (const [overrides, reviews, events, outcome, result] of cases) {
      const content = messageContent(state(overrides, undefined, reviews), { ...options, events })
      assert.equal(content.outcome, outcome, overrides.status)
      assert.equal(content.result, result, overrides.status)
      assert.equal(content.reviewable, false)
    }
  })
})

describe('Slack rendering', () => {
  it('puts every text in rich text elements, shown literally: no mrkdwn, no mentions or links from an agent', () => {
    const content = messageContent(state({ context: { reason: '<!channel> *urgent* <https://evil.example|click>' } }), options)
    const { text, blocks } = slackMessage(content)
    const json = JSON.stringify(blocks)
    assert.doesNotMatch(json, /mrkdwn/)
    assert.ok(json.includes('"text":"<!channel> *urgent* <https://evil.example|click>"'))
    assert.equal(text, 'Approval needed: sql on prod-db (prod) (act_1)')
  })

  it('shows Approve and Deny only while the action is pending, and marks when an approval needs a reason', () => {
    const buttons = (content: ReturnType<typeof messageContent>) => (slackMessage(content).blocks.at(-1) as { elements: { action_id: string; value?: string }[] }).elements
    const pending = buttons(messageContent(state({ decision: { requirements: [{ ...requirement, reason_required: true }] } }), options))
    assert.deepEqual(pending.map((button) => button.action_id), ['countersign_approve', 'countersign_deny', 'countersign_open'])
    assert.deepEqual(JSON.parse(pending[0]!.value!), { id: 'act_1', reason: true })
    assert.deepEqual(buttons(messageContent(state({ status: 'approved' }), options)).map((button) => button.action_id), ['countersign_open'])
  })
})
