import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { configFromObject } from '../../config/index.js'
import type { Human } from '../../lifecycle/index.js'
import { slackWebClient } from './slack-app.js'
import { SlackChannel } from './slack-channel.js'
import { BOT_TOKEN, startStandIn } from './test-support.js'
import type { SlackStandIn } from './test-slack.js'

const human = (email: string, groups: string[]): Human => ({ type: 'human', email, groups, admin: false, auditor: false })
const humans = [human('alice@example.com', ['dba']), human('bob@example.com', ['dba']), human('carol@example.com', ['security'])]
const requirement = { rule: 'r', approvers: ['group:dba'], min_approvals: 1, timeout_ms: 1, execute_within_ms: 1, reason_required: false, channels: [] as string[] }

function slackConfig(slack: Record<string, unknown>) {
  const config = configFromObject({ policy: './policy.yaml', store: { data_dir: '/tmp/unused' }, channels: { slack: { bot_token: 'env:UNUSED', signing_secret: 'env:UNUSED', team_id: 'T0COUNTER', ...slack } } }, { baseDir: '/tmp' })
  return config.channels.slack!
}

describe('Slack as a channel', () => {
  let slack: SlackStandIn
  before(async () => {
    slack = await startStandIn()
  })
  after(() => slack.close())

  it('announces where the rules say, else in the default channel, and directly to eligible approvers who did not ask', () => {
    const channel = new SlackChannel(slackWebClient(BOT_TOKEN, slack.url), slackConfig({ default_channel: '#approvals', dm_approvers: true }), humans)
    const named = channel.destinations({ id: 'a', requirements: [{ ...requirement, channels: ['slack:#db', 'teams:dba', 'slack:C0123'] }], conflicted: ['bob@example.com'] })
    assert.deepEqual(named, ['#db', 'C0123', 'dm:alice@example.com'])
    assert.deepEqual(channel.destinations({ id: 'a', requirements: [requirement], conflicted: [] }), ['#approvals', 'dm:alice@example.com', 'dm:bob@example.com'])
    // A requirement any human may meet asks nobody directly.
    assert.deepEqual(channel.destinations({ id: 'a', requirements: [{ ...requirement, approvers: [] }], conflicted: [] }), ['#approvals'])
    const quiet = new SlackChannel(slackWebClient(BOT_TOKEN, slack.url), slackConfig({}), humans)
    assert.deepEqual(quiet.destinations({ id: 'a', requirements: [requirement], conflicted: [] }), [])
  })

  it("waits as long as Slack's Retry-After says, and tells transient failures from permanent ones", async () => {
    const channel = new SlackChannel(slackWebClient(BOT_TOKEN, slack.url), slackConfig({}), humans)
    const failureOf = async (call: () => Promise<unknown>) => {
      try {
        await call()
      } catch (error) {
        return channel.failure(error)
      }
      throw new Error('the call did not fail')
    }
    const post = () => slackWebClient(BOT_TOKEN, slack.url).chat.postMessage({ channel: '#approvals', text: 'x' })
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 }, { status: 500 }, { error: 'internal_error' })
    assert.deepEqual(await failureOf(post), { permanent: false, retryAfterMs: 7_000, message: 'rate limited by Slack (retry after 7 s)' })
    assert.equal((await failureOf(post)).permanent, false)
    assert.equal((await failureOf(post)).permanent, false)
    assert.deepEqual(await failureOf(() => slackWebClient(BOT_TOKEN, slack.url).chat.postMessage({ channel: '#nowhere', text: 'x' })), { permanent: true, message: 'Slack refused the call: channel_not_found' })
    assert.equal((await failureOf(() => slackWebClient('xoxb-wrong', slack.url).chat.postMessage({ channel: '#approvals', text: 'x' }))).permanent, true)
    assert.equal((await failureOf(() => slackWebClient(BOT_TOKEN, 'http://127.0.0.1:1/api/').chat.postMessage({ channel: '#approvals', text: 'x' }))).permanent, false)
  })
})
