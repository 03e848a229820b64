import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { runCli } from './program.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const examples = join(root, 'examples')

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, cwd: root })
  return { code, stdout, stderr }
}

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'countersign-cli-')), name)
  writeFileSync(file, text)
  return file
}

describe('countersign policy check', () => {
  it('accepts the example policy', async () => {
    const result = await cli('policy', 'check', join(examples, 'policy.yaml'))
    assert.equal(result.code, 0)
    assert.match(result.stdout, /policy\.yaml: ok, 26 rules, default review/)
  })

  it('exits 2 with every located problem of an invalid policy', async () => {
    const file = tempFile('policy.yaml', 'version: 1\nrules:\n  - id: a\n    when: sql.nope\n    effect: allow\n  - { id: b, effect: maybe }\n')
    const result = await cli('policy', 'check', file)
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^countersign: .*policy\.yaml: 2 problems\n/)
    assert.match(result.stderr, /policy\.yaml:4:15: unknown field "nope"/)
    assert.match(result.stderr, /policy\.yaml:6:22: .*allow.*deny.*review/)
    assert.equal(result.stdout, '')
  })

  it('exits 2 (a usage error, as documented) when a required option or argument is missing', async () => {
    const explain = await cli('policy', 'explain', 'examples/policy.yaml')
    assert.equal(explain.code, 2)
    assert.match(explain.stderr, /required option '--action <json>' not specified/)
    assert.equal((await cli('policy', 'check')).code, 2)
    assert.equal((await cli('policy', 'test', 'examples/policy.yaml', '--nope')).code, 2)
  })

  it('lists the action kinds when a rule names one that does not exist', async () => {
    const file = tempFile('policy.yaml', 'version: 1\nrules:\n  - { id: a, effect: allow, match: { kind: sqll } }\n')
    const result = await cli('policy', 'check', file)
    assert.equal(result.code, 2)
    assert.match(result.stderr, /policy\.yaml:3:44: expected an action kind or a list of them; the kinds are sql, shell, terraform, kubernetes, http, mcp, custom, policy \(rules\[0\]\.match\.kind\)/)
  })

  it('says in one line that a file is missing', async () => {
    const result = await cli('policy', 'check', 'no-such-policy.yaml')
    assert.equal(result.code, 2)
    assert.equal(result.stderr, 'countersign: cannot read policy no-such-policy.yaml: no such file\n')
  })
})

describe('countersign policy test', () => {
  it('passes the example cases with the targets of the config beside the policy', async () => {
    const result = await cli('policy', 'test', join(examples, 'policy.yaml'), join(examples, 'policy-cases.yaml'))
    assert.equal(result.code, 0, result.stdout)
    assert.match(result.stdout, /\n\d+ passed, 0 failed\n$/)
  })

  it('exits 1 and explains each failing case', async () => {
    const cases = tempFile('cases.yaml', '- name: deletes are fine\n  action: { kind: sql, target: prod-db, payload: { sql: "DELETE FROM users" } }\n  expect: { effect: allow }\n')
    const result = await cli('policy', 'test', join(examples, 'policy.yaml'), cases, '--config', join(examples, 'countersign.yaml'))
    assert.equal(result.code, 1)
    assert.match(result.stdout, /FAIL {2}deletes are fine: expected allow, got review/)
    assert.match(result.stdout, /✓ {2}destructive-sql-prod \(review\): its condition is true/)
    assert.match(result.stdout, /0 passed, 1 failed/)
  })

  it('reports the exact set of applied rules when it differs', async () => {
    const cases = tempFile('cases.yaml', '- name: rules differ\n  action: { kind: sql, target: prod-db, payload: { sql: "DELETE FROM users" } }\n  expect: { effect: review, rules: [scoped-writes-prod] }\n')
    const result = await cli('policy', 'test', join(examples, 'policy.yaml'), cases)
    assert.equal(result.code, 1)
    assert.match(result.stdout, /expected rules \[scoped-writes-prod\], got \[destructive-sql-prod\]/)
  })

  it('sees no labels for targets when no config is found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-cli-'))
    writeFileSync(join(dir, 'policy.yaml'), 'version: 1\ndefault: deny\nrules:\n  - { id: prod, match: { env: prod }, effect: allow }\n')
    writeFileSync(join(dir, 'cases.yaml'), '- name: no labels\n  action: { kind: sql, target: prod-db, payload: { sql: "SELECT 1" } }\n  expect: { effect: deny, rules: [] }\n')
    const result = await cli('policy', 'test', join(dir, 'policy.yaml'), join(dir, 'cases.yaml'))
    assert.equal(result.code, 0, result.stdout)
    assert.match(result.stderr, /^note: no config found .*targets have no labels\n$/)
  })

  it('refuses a case whose target the config does not know, instead of deciding it without labels', async () => {
    const cases = tempFile('cases.yaml', '- name: typo\n  action: { kind: sql, target: prod-bd, payload: { sql: "DELETE FROM users" } }\n  expect: { effect: allow }\n')
    const result = await cli('policy', 'test', join(examples, 'policy.yaml'), cases, '--config', join(examples, 'countersign.yaml'))
    assert.equal(result.code, 2)
    assert.match(result.stderr, /cases\.yaml:2:\d+: unknown target "prod-bd" \(not in the config\)/)
  })

  it('exits 2 with located errors for an invalid cases file, running nothing', async () => {
    const cases = tempFile('cases.yaml', '- name: ok\n  action: { kind: sql, payload: { sql: "SELECT 1" } }\n  expect: { effect: allow }\n- name: bad\n  action: { kind: sql, payload: { query: "SELECT 1" } }\n  expect: { effect: allow }\n')
    const result = await cli('policy', 'test', join(examples, 'policy.yaml'), cases)
    assert.equal(result.code, 2)
    assert.match(result.stderr, /cases\.yaml:5:\d+: .*payload/)
    assert.equal(result.stdout, '')
  })
})

describe('countersign policy explain', () => {
  it('explains a decision with impact, rules and requirements', async () => {
    const action = JSON.stringify({ kind: 'sql', target: 'prod-db', payload: { sql: 'DELETE FROM users' } })
    const result = await cli('policy', 'explain', join(examples, 'policy.yaml'), '--action', action)
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /action: sql on prod-db \(env=prod, team=data\)/)
    assert.match(result.stdout, /impact: .*DELETE/)
    assert.match(result.stdout, /effect: review/)
    assert.match(result.stdout, /- {2}no-recursive-force-delete \(deny\): not selected: kind is sql, rule matches shell/)
    assert.match(result.stdout, /requires: 2 of group:dba \(destructive-sql-prod\); expires after 30m; run within 15m of approval; reason required/)
  })

  it('reads the action from @file and prints JSON on request', async () => {
    const file = tempFile('action.json', JSON.stringify({ kind: 'shell', target: 'build-host', payload: { command: 'ls -la' } }))
    const result = await cli('policy', 'explain', join(examples, 'policy.yaml'), '--action', `@${file}`, '--json')
    assert.equal(result.code, 0, result.stderr)
    const output = JSON.parse(result.stdout) as { decision: { effect: string; matched_rules: string[] }; analysis: { facts: { programs: string[] } } }
    assert.equal(output.decision.effect, 'allow')
    assert.deepEqual(output.decision.matched_rules, ['shell-read-only'])
    assert.deepEqual(output.analysis.facts.programs, ['ls'])
  })

  for (const [name, action, message] of [
    ['malformed JSON', '{kind: sql', /^countersign: --action is not valid JSON: /],
    ['an unknown kind', '{"kind":"sq1","payload":{}}', /^countersign: --action: kind: /],
    ['a payload of the wrong shape', '{"kind":"sql","payload":{"query":"x"}}', /^countersign: --action: payload/],
  ] as const) {
    it(`refuses ${name} in one line with exit 2`, async () => {
      const result = await cli('policy', 'explain', join(examples, 'policy.yaml'), '--action', action)
      assert.equal(result.code, 2)
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trimEnd().split('\n').length, 1)
    })
  }
})

describe('the countersign executable', () => {
  const run = promisify(execFile)
  const bin = join(root, 'bin', 'countersign.js')

  it('prints help for every verb', async () => {
    for (const args of [['--help'], ['policy', '--help'], ['policy', 'check', '--help'], ['policy', 'test', '--help'], ['policy', 'explain', '--help']]) {
      const { stdout } = await run(process.execPath, [bin, ...args])
      assert.match(stdout, /Usage: countersign/)
    }
  })

  it('exits non-zero with a one-line message for an unknown verb', async () => {
    await assert.rejects(run(process.execPath, [bin, 'polcy']), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2)
      assert.match(error.stderr, /unknown command 'polcy'/)
      return true
    })
  })
})
