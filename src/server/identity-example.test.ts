import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const DEMO = resolve(import.meta.dirname, '../../examples/identity/demo.sh')

describe('examples/identity/demo.sh', () => {
  it('runs an approved UPDATE whose trigger row names the agent and both approvers, and a Terraform apply only the approved plan passes', async () => {
    const { stdout } = await promisify(execFile)('bash', [DEMO], { timeout: 240_000, env: { ...process.env, NO_COLOR: '1' } })
    // The PostgreSQL trigger's row: the request, the agent, the human it acted for, both approvers.
    const update = /^(act_[0-9a-z]{26})  succeeded  sql on ledger-db$/m.exec(stdout)
    assert.ok(update, stdout)
    assert.match(stdout, new RegExp(`^${update[1]}\\|deploy-bot\\|dave@example\\.com\\|alice@example\\.com,bob@example\\.com\\|countersign/deploy-bot$`, 'm'))
    // The swapped saved plan was refused after approval, and nothing was applied.
    assert.match(stdout, /error: {4}the saved plan is not the approved plan: terraform show -json of it has the canonical digest [0-9a-f]{64}/)
    assert.match(stdout, /^nothing was applied$/m)
    // The approved plan applied with the identity and the (masked) cloud token in its environment.
    assert.match(stdout, /\(local-exec\): release 1\.4\.2 applied by deploy-bot for dave@example\.com, approved by alice@example\.com \(request act_[0-9a-z]{26}, cloud token: \*\*\*\)/)
    assert.match(stdout, /state: {4}serial none -> 1/)
    assert.match(stdout, /Apply complete! Resources: 1 added/)
    assert.doesNotMatch(stdout, /release evil applied/)
    assert.match(stdout, /^audit chain OK/m)
  })
})
