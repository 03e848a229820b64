import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { TeamsConfig } from '../../config/index.js'
import type { TeamsConversationStore } from '../../store/index.js'
import { ConnectorError } from './connector-error.js'
import type { ConnectorClient } from './connector.js'
import { TeamsChannel } from './teams-channel.js'

const config = { app_id: 'a', tenant_id: 't', channels: { ops: '19:ops@thread.tacv2' }, default_channel: 'ops', dm_approvers: true, allowed_domains: [] } as unknown as TeamsConfig
const alice = { type: 'human', email: 'alice@example.com', groups: ['dba'], admin: false, auditor: false } as const
const carol = { type: 'human', email: 'carol@example.com', groups: ['dba'], admin: true, auditor: false } as const
// Outbound calls are not made here: destinations and failures are decided without the connector or the store.
const channel = new TeamsChannel({ connector: {} as ConnectorClient, conversations: {} as TeamsConversationStore, config, humans: [alice, carol] })
const requirement = (channels: string[]) => ({ rule: 'r', approvers: ['group:dba'], min_approvals: 1, timeout_ms: 60_000, execute_within_ms: 60_000, reason_required: false, channels })

describe('Teams as a channel', () => {
  it("announces in the rules' Teams channels, else the default one, and to eligible approvers who did not ask", () => {
    assert.deepEqual(channel.destinations({ id: 'x', requirements: [requirement(['teams:dba', 'slack:#db', 'teams:dba'])] as never, conflicted: ['carol@example.com'] }), ['dba', 'dm:alice@example.com'])
    assert.deepEqual(channel.destinations({ id: 'x', requirements: [requirement(['slack:#db'])] as never, conflicted: [] }), ['ops', 'dm:alice@example.com', 'dm:carol@example.com'])
  })

  it('retries what may pass and gives up on what cannot', () => {
    const cases: [string, ConnectorError, boolean, number | undefined][] = [
      ['rate limited', new ConnectorError('send', 'x', { status: 429, retryAfterMs: 3_000 }), false, 3_000],
      ['a connector outage', new ConnectorError('update', 'x', { status: 503 }), false, undefined],
      ['a refused token', new ConnectorError('send', 'x', { status: 401 }), false, undefined],
      ['no network', new ConnectorError('send', 'x'), false, undefined],
      ['the identity platform refusing the password', new ConnectorError('token', 'x', { status: 401, code: 'invalid_client' }), false, undefined],
      ['the bot removed from the conversation', new ConnectorError('send', 'x', { status: 403, code: 'BotNotInConversationRoster' }), true, undefined],
      ['the message deleted', new ConnectorError('update', 'x', { status: 404, code: 'ActivityNotFoundInConversation' }), true, undefined],
      ['a name nobody mapped', new ConnectorError('resolve', 'x', { permanent: true }), true, undefined],
    ]
    for (const [what, error, permanent, retryAfterMs] of cases) {
      const failure = channel.failure(error)
      assert.equal(failure.permanent, permanent, what)
      assert.equal(failure.retryAfterMs, retryAfterMs, what)
    }
    assert.equal(channel.failure(new Error('boom')).permanent, false)
  })
})
