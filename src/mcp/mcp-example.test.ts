import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'

const ROOT = resolve(import.meta.dirname, '../..')

describe('examples/mcp/demo.ts', () => {
  it('lists the namespaced tools, runs a read-only call, denies the runbook, holds a delete until alice approves, and serves stdio', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/mcp/demo.ts'], { cwd: ROOT, timeout: 90_000 })
    assert.match(stdout, /notes__delete_note \(destructive\)/)
    assert.match(stdout, /runbook, old-draft, release-notes/)
    assert.match(stdout, /tool error: Countersign's policy denied this call: The runbook is never deleted by an agent\./)
    assert.match(stdout, /progress: waiting for approval by group:oncall 0\/1 \(action act_\w+/)
    assert.match(stdout, /result: deleted old-draft/)
    assert.match(stdout, /the notes left: runbook, release-notes/)
  })
})
