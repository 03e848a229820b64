import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { conflictedHumans, type Human } from '../lifecycle/index.js'
import type { ReviewRequirement } from '../policy/index.js'
import { approversToAsk } from './approvers.js'

const human = (email: string, groups: string[]): Human => ({ type: 'human', email, groups, admin: false, auditor: false })
const security: ReviewRequirement = { rule: 'grants', approvers: ['group:security'], min_approvals: 1, timeout_ms: 3_600_000, execute_within_ms: 900_000, reason_required: false, channels: [] }
const humans = [human('carol@example.com', ['security']), human('frank@example.com', ['security']), human('olivia@example.com', ['security'])]

describe('approversToAsk', () => {
  it('asks none of the requesters: the token issuer, and an on-behalf-of human under a +tag spelling', () => {
    const conflicted = conflictedHumans({ owner: 'alice@example.com', onBehalfOf: 'Olivia+ops@example.com', tokenIssuer: 'carol@example.com' })
    assert.deepEqual(approversToAsk(humans, [security], conflicted), ['frank@example.com'])
  })

  it('asks every eligible approver when nobody conflicts', () => {
    assert.deepEqual(approversToAsk(humans, [security], []), ['carol@example.com', 'frank@example.com', 'olivia@example.com'])
  })
})
