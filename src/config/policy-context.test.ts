import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { CountersignError } from '../errors/index.js'
import { readPolicyContext } from './index.js'

const EXAMPLE = fileURLToPath(new URL('../../examples/countersign.yaml', import.meta.url))

describe('readPolicyContext', () => {
  it('gives the policy tools the targets and agents of a config', () => {
    const context = readPolicyContext(EXAMPLE)
    assert.equal(context.source, EXAMPLE)
    assert.deepEqual(context.targets.get('prod-db')?.labels, { env: 'prod', team: 'data' })
    assert.equal(context.targets.get('prod-db')?.kind, 'sql')
    assert.equal(context.agents.get('deploy-bot')?.owner, 'carol@example.com')
  })

  it('accepts a config without a policy key: the tools are given the policy', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'countersign-context-')), 'countersign.yaml')
    writeFileSync(file, 'targets: [{ name: db, kind: sql, labels: { env: prod } }]\n')
    assert.deepEqual(readPolicyContext(file).targets.get('db')?.labels, { env: 'prod' })
  })

  it('refuses an invalid config with located problems, as the gateway would', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'countersign-context-')), 'countersign.yaml')
    writeFileSync(file, 'targets:\n  - { name: db, kind: sql, labels: { env: prod } }\n  - { name: db, kind: sql }\n')
    assert.throws(
      () => readPolicyContext(file),
      (error: CountersignError) => {
        assert.equal(error.code, 'INVALID')
        assert.deepEqual(error.details.map((detail) => [detail.file, detail.line, detail.column]), [[file, 3, 13]])
        return true
      },
    )
  })
})
