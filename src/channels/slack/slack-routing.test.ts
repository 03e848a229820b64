import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testStores } from '../../store/connection/index.js'
import { CHANNELS, slackGateway, startStandIn, until, type SlackGateway } from './test-support.js'
import type { SlackStandIn } from './test-slack.js'

const MIN = 60_000

/** Shell commands need a DBA; reminded every 10 minutes; security is added after 15. */
const POLICY = `
version: 1
default: deny
rules:
  - id: shell-review
    match: { kind: shell }
    effect: review
    review:
      approvers: [group:dba]
      timeout: 1h
      remind_after: 10m
      escalate: [{ after: 15m, to: [group:security] }]
      channels: ["slack:#db-approvals"]
      break_glass: { notify: ["slack:#incidents"], review_within: 24h }
`

const store = testStores()[0]!
describe('reminders and escalation through Slack, with a fake clock', () => {
  let slack: SlackStandIn
  let sg: SlackGateway
  let drop: () => Promise<void>
  before(async () => {
    slack = await startStandIn()
    slack.addChannel('#incidents', 'C0INCIDENTS')
    const connection = await store.open()
    drop = connection.drop
    sg = await slackGateway(connection, slack, { policy: POLICY, dm: true, now: new Date('2026-12-07T02:00:00Z') })
  })
  after(async () => {
    await sg.close()
    await slack.close()
    await drop()
  })

  it('reminds the same people in the thread at 10m, escalates to security at 15m (audited, shown, DMed), and the escalated approver can then approve', async () => {
    const { gw } = sg
    const submitted = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'shell', target: 'build-host', payload: { command: 'systemctl restart app' } } })
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body))
    const id = submitted.body.id as string
    const announced = await until(() => slack.messagesIn(CHANNELS.db).find((message) => message.text.includes(id)), 'the announcement')
    // DMs to the DBAs (alice, bob, erin); security (frank, carol) is not asked yet.
    await until(() => slack.messagesIn('D0BOB').length === 1, 'the DM to bob')
    assert.equal(slack.messagesIn('D0FRANK').length, 0)
    const early = await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'frank', body: { decision: 'approve', reason: 'looks fine' } })
    assert.equal(early.status, 403, 'security is not an approver before the escalation')

    // 10 minutes: nothing approved; the same people are reminded, in the thread.
    gw.advance(10 * MIN)
    assert.deepEqual(await gw.gateway.routeDue(), { steps: 1, failed: 0 })
    const reminder = await until(() => slack.messagesIn(CHANNELS.db).find((message) => message.text.startsWith('Reminder 1')), 'the reminder in #db-approvals')
    assert.match(reminder.text, /still needs approval from group:dba \(rule shell-review\)/)
    const reminderCall = slack.calls.find((call) => call.method === 'chat.postMessage' && call.args['thread_ts'] === announced.ts)
    assert.ok(reminderCall, 'the reminder is a reply in the announcement thread')
    assert.equal(await gw.gateway.routeDue().then((routed) => routed.steps), 0, 'a step happens once')

    // 15 minutes: escalated to security; frank gets a DM, the message shows the new approvers.
    gw.advance(5 * MIN)
    assert.deepEqual(await gw.gateway.routeDue(), { steps: 1, failed: 0 })
    await until(() => slack.messagesIn('D0FRANK').length === 1, 'the DM to frank after the escalation')
    await until(() => JSON.stringify(announced.blocks).includes('escalated (rule shell-review, stage 1) to group:security'), 'the escalation shown in the message')
    assert.match(JSON.stringify(announced.blocks), /group:dba or group:security/)

    const view = (await gw.call('GET', `/v1/actions/${id}`, { as: 'frank' })).body
    assert.deepEqual(view.decision.requirements[0].approvers, ['group:dba', 'group:security'])
    assert.equal(view.decision.requirements[0].escalated, 1)
    assert.equal(view.decision.requirements[0].reminders, 1)
    const steps = view.timeline.filter((entry: { type: string }) => entry.type === 'request.reminded' || entry.type === 'request.escalated')
    assert.deepEqual(
      steps.map((entry: { type: string; at: string; data: Record<string, unknown> }) => [entry.type, entry.at, entry.data['added'] ?? entry.data['approvers']]),
      [
        ['request.reminded', '2026-12-07T02:10:00.000Z', ['group:dba']],
        ['request.escalated', '2026-12-07T02:15:00.000Z', ['group:security']],
      ],
    )

    // carol is security too, but owns deploy-bot: escalation never lifts the self-approval rule.
    const owner = await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'carol', body: { decision: 'approve', reason: 'mine' } })
    assert.equal(owner.status, 403)
    const approved = await gw.call('POST', `/v1/actions/${id}/reviews`, { as: 'frank', body: { decision: 'approve', reason: 'checked' } })
    assert.equal(approved.status, 200, JSON.stringify(approved.body))
    assert.equal(approved.body.status, 'approved')
    gw.advance(10 * MIN)
    assert.equal((await gw.gateway.routeDue()).steps, 0, 'nothing is routed once decided')
  })

  it('announces a break-glass loudly: the request\'s messages say BREAK-GLASS, and the notify channel hears of it', async () => {
    const { gw } = sg
    // analytics-agent is alice's; alice is a DBA, so a listed approver: she breaks the glass on her own request.
    const submitted = await gw.call('POST', '/v1/actions', { as: 'analyticsAgent', body: { kind: 'shell', target: 'build-host', payload: { command: 'systemctl restart checkout' } } })
    const id = submitted.body.id as string
    const announced = await until(() => slack.messagesIn(CHANNELS.db).find((message) => message.text.includes(id)), 'the announcement')
    const broken = await gw.call('POST', `/v1/actions/${id}/break-glass`, { as: 'alice', body: { reason: 'checkout is down' } })
    assert.equal(broken.status, 200, JSON.stringify(broken.body))
    const loud = await until(() => slack.messagesIn('C0INCIDENTS').find((message) => message.text.includes(id)), 'the break-glass in #incidents')
    assert.match(loud.text, /Approved \(BREAK-GLASS\)/)
    assert.match(JSON.stringify(loud.blocks), /BREAK-GLASS approval by alice@example\.com: checkout is down; must be reviewed by someone else by/)
    await until(() => announced.text.includes('BREAK-GLASS'), 'the original message updated')
  })
})
