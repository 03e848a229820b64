import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { cliAgainst, startStandIn, type StandIn } from './test-api-stand-in.js'

describe('countersign approve, deny and cancel', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())
  beforeEach(() => (standIn.requests.length = 0))

  it('approves with a reason and shows the progress of the requirement', async () => {
    const action = standIn.add()
    const result = await cliAgainst(standIn, ['approve', action.id, '--reason', 'checked the WHERE clause'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(standIn.requests.at(-1)?.body, { decision: 'approve', reason: 'checked the WHERE clause' })
    assert.equal(standIn.requests.at(-1)?.path, `/v1/actions/${action.id}/reviews`)
    assert.match(result.stdout, new RegExp(`^${action.id} {2}pending `))
    assert.match(result.stdout, /last review: .* alice@example\.com approved via cli: "checked the WHERE clause"/)
  })

  it('shows the gateway refusing an approval without a required reason, exit 2', async () => {
    const action = standIn.add()
    const result = await cliAgainst(standIn, ['approve', action.id])
    assert.equal(result.code, 2)
    assert.deepEqual(standIn.requests.at(-1)?.body, { decision: 'approve' })
    assert.equal(result.stderr, 'countersign: destructive-sql-prod requires a reason to approve\n')
  })

  it('denies with a reason and exits 0', async () => {
    const action = standIn.add()
    const result = await cliAgainst(standIn, ['deny', action.id, '--reason', 'no WHERE clause'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(standIn.requests.at(-1)?.body, { decision: 'deny', reason: 'no WHERE clause' })
    assert.match(result.stdout, new RegExp(`^${action.id} {2}denied `))
  })

  it('refuses a deny without a reason, sending nothing', async () => {
    const action = standIn.add()
    const result = await cliAgainst(standIn, ['deny', action.id])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /required option '--reason <text>' not specified/)
    assert.equal(standIn.requests.length, 0)
  })

  it('refuses something that is not an action id, sending nothing', async () => {
    const result = await cliAgainst(standIn, ['approve', 'act_123'])
    assert.equal(result.code, 2)
    assert.equal(result.stderr, 'countersign: not an action id: "act_123" (expected act_ and 26 letters or digits)\n')
    assert.equal(standIn.requests.length, 0)
  })

  it('exits 5 when the action was already decided', async () => {
    const action = standIn.add({ status: 'approved' })
    const result = await cliAgainst(standIn, ['deny', action.id, '--reason', 'too late'])
    assert.equal(result.code, 5)
    assert.equal(result.stderr, 'countersign: the action is already approved\n')
  })

  it('exits 4 for an unknown action', async () => {
    const result = await cliAgainst(standIn, ['approve', `act_${'z'.repeat(26)}`, '--reason', 'x'])
    assert.equal(result.code, 4)
    assert.match(result.stderr, /^countersign: no action act_z{26}\n$/)
  })

  it('cancels with an optional reason and prints JSON on request', async () => {
    const action = standIn.add()
    const result = await cliAgainst(standIn, ['cancel', action.id, '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(standIn.requests.at(-1)?.body, {})
    assert.equal((JSON.parse(result.stdout) as { status: string }).status, 'cancelled')
  })
})
