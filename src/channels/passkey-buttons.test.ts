import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { MessageContent } from './message.js'
import { shownBlock } from './shown-text.js'
import { slackMessage, SLACK_IDS } from './slack/blocks.js'
import { teamsCard, TEAMS_IDS } from './teams/card.js'

const pending: MessageContent = {
  id: 'act_01test',
  status: 'pending',
  statusLabel: 'Approval needed',
  kind: 'sql',
  target: 'prod-db',
  env: 'prod',
  payloadLabel: 'sql',
  payload: shownBlock("UPDATE accounts SET tier = 'gold' WHERE id = 1"),
  origin: [{ label: 'Agent', value: 'deploy-bot' }],
  impactSummary: 'UPDATE on accounts',
  highlights: [],
  matchedRules: ['prod-writes'],
  policyMessages: [],
  requirements: [{ rule: 'prod-writes', approvers: 'group:dba', needed: 1, approvedBy: [], met: false, reasonRequired: false }],
  reviews: [],
  expiresAt: new Date('2026-01-01T10:30:00Z'),
  executeBy: null,
  outcome: undefined,
  result: undefined,
  reviewable: true,
  approveNeedsReason: false,
  approveNeedsPasskey: true,
  link: 'https://countersign.example.com/actions/act_01test',
}

describe('chat buttons of a request whose approval needs a passkey', () => {
  it('Slack: Approve is a link to the console\'s confirm page, not a review button, and the message says so; Deny stays', () => {
    const { blocks } = slackMessage(pending)
    const actions = blocks.find((block) => block.type === 'actions') as { elements: { action_id: string; url?: string; value?: string; text: { text: string } }[] }
    const approve = actions.elements.find((element) => element.text.text.startsWith('Approve'))!
    assert.equal(approve.action_id, SLACK_IDS.confirm)
    assert.equal(approve.url, pending.link)
    assert.equal(approve.value, undefined)
    assert.ok(!actions.elements.some((element) => element.action_id === SLACK_IDS.approve))
    assert.ok(actions.elements.some((element) => element.action_id === SLACK_IDS.deny))
    assert.match(JSON.stringify(blocks), /Approving needs a passkey: .*Approve opens the console/)
  })

  it('Teams: Approve opens the console (Action.OpenUrl), never Action.Execute approve, and the card says so', () => {
    const card = teamsCard(pending)
    const approve = card.actions.find((action) => String(action['title']).startsWith('Approve'))!
    assert.equal(approve['type'], 'Action.OpenUrl')
    assert.equal(approve['url'], pending.link)
    assert.ok(!card.actions.some((action) => action['verb'] === TEAMS_IDS.approve))
    assert.ok(card.actions.some((action) => action['verb'] === TEAMS_IDS.deny))
    assert.match(JSON.stringify(card.body), /Approving needs a passkey/)
  })

  it('keeps the review buttons where no passkey is needed', () => {
    const { blocks } = slackMessage({ ...pending, approveNeedsPasskey: false })
    assert.match(JSON.stringify(blocks), new RegExp(SLACK_IDS.approve))
    assert.ok(teamsCard({ ...pending, approveNeedsPasskey: false }).actions.some((action) => action['verb'] === TEAMS_IDS.approve))
  })
})
