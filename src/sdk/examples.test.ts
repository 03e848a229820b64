import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { servedGateway, type ServedGateway } from './test-served-gateway.js'

const ROOT = resolve(import.meta.dirname, '../..')

describe('examples/sdk/demo.ts', () => {
  let served: ServedGateway
  before(async () => {
    // The policy the quickstart serves.
    served = await servedGateway({ policy: readFileSync(join(ROOT, 'examples/policy.yaml'), 'utf8') })
  })
  after(() => served.close())

  it('runs end to end against a gateway: allowed and run with a receipt, denied, approved and run', async () => {
    const env = { ...process.env, COUNTERSIGN_URL: served.url, COUNTERSIGN_TOKEN: served.gw.tokens.deployBot, COUNTERSIGN_APPROVER_TOKEN: served.gw.tokens.alice }
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=countersign-source', '--import', 'tsx', 'examples/sdk/demo.ts'], { cwd: ROOT, env, timeout: 60_000 })
    assert.match(stdout, /1\. A read-only query\n {2}act_\w+ is allowed \(sql-read-only\)\n {2}receipt ok: allowed by the policy/)
    assert.match(stdout, /2\. Dropping the database\n {2}denied: Dropping a database or schema is never allowed through agents\./)
    assert.match(stdout, /event \d+: review\.approve by human:alice@example\.com/)
    assert.match(stdout, /receipt ok: approved by alice@example\.com/)
    const { actions } = await served.client('alice').list({ target: 'prod-db' })
    assert.deepEqual(actions.map((action) => action.status), ['succeeded', 'denied', 'succeeded'])
  })
})
