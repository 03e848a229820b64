import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { MessageContent } from '../message.js'
import { shownBlock } from '../shown-text.js'
import { cardActivity, teamsCard, TEAMS_IDS, type CardNode } from './card.js'

const EVIL = '[click here](https://evil.example) **urgent** <at>everyone</at>'

const pending: MessageContent = {
  id: 'act_01test',
  status: 'pending',
  statusLabel: 'Approval needed',
  kind: 'sql',
  target: 'prod-db',
  env: 'prod',
  payloadLabel: 'sql',
  payload: shownBlock(`DELETE FROM users -- ${EVIL}`),
  origin: [
    { label: 'Agent', value: 'deploy-bot' },
    { label: 'Reason', value: EVIL },
  ],
  impactSummary: 'DELETE on users without WHERE',
  highlights: [EVIL],
  matchedRules: ['unscoped-writes'],
  policyMessages: [],
  requirements: [{ rule: 'unscoped-writes', approvers: 'group:dba', needed: 2, approvedBy: ['alice@example.com'], met: false, reasonRequired: false }],
  reviews: [{ reviewer: 'alice@example.com', decision: 'approve', reason: EVIL, channel: 'teams', at: new Date('2026-01-01T10:00:00Z') }],
  expiresAt: new Date('2026-01-01T10:30:00.123Z'),
  executeBy: null,
  outcome: undefined,
  result: undefined,
  reviewable: true,
  approveNeedsReason: false,
  link: 'https://countersign.example.com/actions/act_01test',
}

/** Every node of a card, depth first. */
function nodes(card: { body: readonly CardNode[] }): CardNode[] {
  const all: CardNode[] = []
  const walk = (node: CardNode): void => {
    all.push(node)
    for (const key of ['items', 'inlines'] as const) for (const child of (node[key] as CardNode[] | undefined) ?? []) walk(child)
  }
  card.body.forEach(walk)
  return all
}

describe('the Teams card', () => {
  it('puts every text from an agent or a person in TextRuns, which Teams never reads as Markdown', () => {
    const all = nodes(teamsCard(pending))
    const runs = all.filter((node) => node['type'] === 'TextRun').map((node) => String(node['text']))
    // The payload, the agent's reason, a highlight and a reviewer's reason.
    assert.equal(runs.filter((text) => text.includes(EVIL)).length, 4)
    for (const block of all.filter((node) => node['type'] === 'TextBlock')) assert.ok(!String(block['text']).includes('evil.example'), String(block['text']))
  })

  it('shows dates in the reader\'s zone with Adaptive Cards date functions', () => {
    const expiry = nodes(teamsCard(pending)).find((node) => node['type'] === 'TextBlock' && String(node['text']).startsWith('**Expires:**'))
    assert.equal(expiry?.['text'], '**Expires:** {{DATE(2026-01-01T10:30:00Z, SHORT)}} {{TIME(2026-01-01T10:30:00Z)}}')
  })

  it('offers Approve and Deny as Action.Execute with Action.Submit fallbacks while pending, and a reason box', () => {
    const card = teamsCard(pending)
    assert.deepEqual(
      card.actions.map((action) => [action['type'], action['verb'] ?? null, (action['fallback'] as CardNode | undefined)?.['type'] ?? null]),
      [
        ['Action.Execute', TEAMS_IDS.approve, 'Action.Submit'],
        ['Action.Execute', TEAMS_IDS.deny, 'Action.Submit'],
        ['Action.OpenUrl', null, null],
      ],
    )
    assert.deepEqual((card.actions[1]!['fallback'] as CardNode)['data'], { countersign: 'deny', id: 'act_01test' })
    const input = card.body.find((node) => node['type'] === 'Input.Text')
    assert.deepEqual([input?.['id'], input?.['isRequired'], input?.['maxLength']], [TEAMS_IDS.reason, false, 2000])
    assert.equal(teamsCard({ ...pending, approveNeedsReason: true }).body.find((node) => node['type'] === 'Input.Text')?.['isRequired'], true)
  })

  it('drops the buttons and the reason box once decided, showing the outcome and the result', () => {
    const card = teamsCard({ ...pending, status: 'succeeded', statusLabel: 'Succeeded', reviewable: false, expiresAt: null, outcome: 'approved by alice@example.com, bob@example.com', result: 'succeeded in 12 ms, 3 rows' })
    assert.deepEqual(card.actions.map((action) => action['title']), ['Open in console'])
    assert.equal(card.body.find((node) => node['type'] === 'Input.Text'), undefined)
    const texts = nodes(card).filter((node) => node['type'] === 'TextRun').map((node) => node['text'])
    assert.ok(texts.includes(' (approved by alice@example.com, bob@example.com)'))
    assert.ok(texts.includes('succeeded in 12 ms, 3 rows'))
  })

  it('shows the start of a long payload, how much is missing, and a link to all of it', () => {
    const card = teamsCard({ ...pending, payload: shownBlock(`SELECT 1;\n${'x'.repeat(5_000)}`) })
    const note = nodes(card).find((node) => node['type'] === 'TextBlock' && String(node['text']).includes('characters are shown'))
    assert.match(String(note?.['text']), /^\*Only the first \d+ of 5010 characters are shown:\* \[see all of it in the console\]\(https:\/\/countersign\.example\.com\/actions\/act_01test\)$/)
  })

  it('leads with the notice for the clicker, when there is one', () => {
    const [first] = teamsCard(pending, { notice: 'bob@example.com: Your review was not recorded: no' }).body
    assert.equal(first?.['style'], 'attention')
    assert.equal(JSON.stringify(first).includes('Your review was not recorded: no'), true)
  })

  it('is sent as a message whose notification names the action', () => {
    const activity = cardActivity(pending)
    assert.equal(activity.summary, 'Approval needed: sql on prod-db (prod) (act_01test)')
    assert.equal(activity.attachments?.[0]?.contentType, 'application/vnd.microsoft.card.adaptive')
    // Teams refuses messages over ~28 KB: even a full payload stays well below.
    assert.ok(JSON.stringify(cardActivity({ ...pending, payload: shownBlock('y'.repeat(100_000)) })).length < 20_000)
  })
})
