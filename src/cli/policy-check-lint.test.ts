import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { runCli } from './program.js'

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd: process.cwd() })
  return { code, stdout, stderr }
}

describe('countersign policy check: warnings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-lint-'))
  const file = join(dir, 'policy.yaml')
  writeFileSync(file, 'version: 1\nrules:\n  - { id: reads, match: { kind: sql, env: prod }, when: sql.read_only, effect: allow }\n  - { id: all-prod, match: { env: prod }, effect: review, review: { approvers: [group:security] } }\n')
  const config = join(mkdtempSync(join(tmpdir(), 'countersign-lint-config-')), 'countersign.yaml')
  writeFileSync(config, 'policy: ./policy.yaml\nidentities:\n  humans:\n    - { email: alice@example.com, groups: [dba] }\ntargets:\n  - { name: prod-db, kind: sql, labels: { env: prod } }\n')

  it('prints each warning after the ok line and exits 0', async () => {
    const result = await cli('policy', 'check', file)
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^.*policy\.yaml: ok, 2 rules, default review, version [0-9a-f]{12}\nwarning: reads: never allows anything: the review rule all-prod applies whenever it does .* \[shadowed-allow\]\n$/)
  })

  it('checks approvers against the config given, and exits 1 with --strict', async () => {
    const result = await cli('policy', 'check', file, '--config', config, '--strict')
    assert.equal(result.code, 1)
    assert.match(result.stdout, /warning: all-prod: no human in the config is an eligible approver \(group:security\).* \[no-eligible-approver\]/)
    assert.match(result.stdout, /\[shadowed-allow\]/)
  })
})
