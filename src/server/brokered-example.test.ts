import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const DEMO = resolve(import.meta.dirname, '../../examples/brokered/demo.sh')

describe('examples/brokered/demo.sh', () => {
  it('runs SQL on a real PostgreSQL through Countersign without the agent knowing its password, and gates commands with exec', async () => {
    const { stdout } = await promisify(execFile)('bash', [DEMO], { timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } })
    // The read ran at once and returned the rows.
    assert.match(stdout, /succeeded {2}sql on app-db[\s\S]*42 {2}linus@example\.com {2}free/)
    // The owner's approval was refused, alice's counted, and the waiting agent got the result.
    assert.match(stdout, /nobody countersigns their own request/)
    assert.match(stdout, /succeeded, in \d+ ms, 1 row\(s\)/)
    assert.match(stdout, /^42\|pro$/m)
    assert.match(stdout, /denied {2}sql on app-db/)
    assert.match(stdout, /^cache cleared$/m)
    assert.match(stdout, /^audit chain OK/m)
  })
})
