import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { readPolicyContext } from '../config/index.js'
import { lintPolicy, type LintContext } from './lint.js'
import { policyFrom } from './test-support.js'

const policy = (rules: string, head = 'default: review') => `version: 1\n${head}\nrules:\n${rules}`
const lint = async (text: string, context?: LintContext) => lintPolicy(await policyFrom(text), context).map((warning) => [warning.code, warning.rule])

const CONFIG: LintContext = {
  targets: [
    { name: 'prod-db', kind: 'sql', labels: { env: 'prod' } },
    { name: 'staging-db', kind: 'sql', labels: { env: 'staging' } },
    { name: 'build-host', kind: 'shell', labels: { env: 'staging' } },
  ],
  agents: [{ id: 'deploy-bot' }],
  humans: [
    { email: 'alice@example.com', groups: ['dba', 'oncall'] },
    { email: 'bob@example.com', groups: ['dba'] },
  ],
}

describe('policy lint (policy check warnings)', () => {
  it('says nothing about the example policy, alone or with its config', async () => {
    const examples = fileURLToPath(new URL('../../examples/', import.meta.url))
    const compiled = await policyFrom(readFileSync(`${examples}policy.yaml`, 'utf8'))
    assert.deepEqual(lintPolicy(compiled), [])
    const context = readPolicyContext(`${examples}countersign.yaml`)
    assert.deepEqual(lintPolicy(compiled, { targets: [...context.targets.values()], agents: [...context.agents.values()], humans: context.humans }), [])
  })

  it('warns about a rule that can never match: a false condition, an allow on kinds whose facts it does not read, match keys no configured target passes', async () => {
    assert.deepEqual(await lint(policy('  - { id: off, when: "false", effect: deny }\n')), [['never-matches', 'off']])
    assert.deepEqual(
      await lint(policy('  - { id: crossed, match: { kind: sql }, when: \'shell.parse_error == "" && !shell.dynamic && shell.programs.all(p, p == "ls")\', effect: allow }\n')),
      [['never-matches', 'crossed']],
    )
    const typo = policy('  - { id: prod-typo, match: { kind: sql, env: production }, effect: deny }\n  - { id: fine, match: { kind: sql, env: prod }, effect: deny }\n')
    assert.deepEqual(await lint(typo), [])
    assert.deepEqual(await lint(typo, CONFIG), [['never-matches', 'prod-typo']])
    assert.deepEqual(await lint(policy('  - { id: ghost-agent, match: { agent: "ci-*" }, effect: review }\n'), CONFIG), [['never-matches', 'ghost-agent']])
  })

  it('warns about an allow rule that a broader deny or review always overrides', async () => {
    const shadowed = policy(`
  - { id: reads, match: { kind: sql, env: prod }, when: sql.read_only, effect: allow }
  - { id: everything-prod, match: { env: prod }, effect: review }
`)
    assert.deepEqual(await lint(shadowed), [['shadowed-allow', 'reads']])
    assert.deepEqual(await lint(shadowed, CONFIG), [['shadowed-allow', 'reads']])
    // A narrower review, a conditional one, or a shadow one does not override it.
    assert.deepEqual(await lint(shadowed.replace('match: { env: prod }, effect: review', 'match: { env: prod, target: "prod-*" }, effect: review')), [])
    assert.deepEqual(await lint(shadowed.replace('effect: review', 'effect: review, when: sql.ddl')), [])
    assert.deepEqual(await lint(shadowed.replace('effect: review', 'effect: review, mode: shadow')), [])
    // The same condition counts as always.
    assert.deepEqual(await lint(shadowed.replace('effect: review', 'effect: deny, when: sql.read_only')), [['shadowed-allow', 'reads']])
  })

  it('warns about a review nobody in the config can approve, or not enough people', async () => {
    const text = policy(`
  - { id: nobody, match: { kind: sql }, when: sql.ddl, effect: review, review: { approvers: [group:security] } }
  - { id: too-few, match: { kind: sql }, when: sql.dcl, effect: review, review: { approvers: [group:dba], min_approvals: 3 } }
  - { id: enough, match: { kind: sql }, when: sql.count > 5, effect: review, review: { approvers: [group:dba, user:carol@example.com], min_approvals: 2 } }
  - { id: anyone, match: { kind: sql }, when: sql.count > 9, effect: review }
`, 'default: review\ndefault_review: { approvers: [user:zed@example.com] }')
    assert.deepEqual(await lint(text), [])
    const warnings = lintPolicy(await policyFrom(text), CONFIG)
    assert.deepEqual(warnings.map((warning) => [warning.code, warning.rule]), [
      ['no-eligible-approver', 'nobody'],
      ['no-eligible-approver', 'too-few'],
      // A review rule without its own block asks default_review's approvers.
      ['no-eligible-approver', 'anyone'],
      ['no-eligible-approver', 'default'],
    ])
    assert.match(warnings[1]!.message, /needs 3 distinct approvers but only 2 humans/)
  })

  it('warns about an allow rule that does not check parse_error (and dynamic for shell) unless a deny or review rule does', async () => {
    const blind = policy(`
  - { id: scoped, match: { kind: sql }, when: 'sql.statements.all(s, s.has_where)', effect: allow }
  - { id: listing, match: { kind: shell }, when: 'shell.parse_error == "" && shell.programs.all(p, p == "ls")', effect: allow }
`)
    assert.deepEqual(await lint(blind), [['ignores-parse-error', 'scoped'], ['ignores-parse-error', 'listing']])
    const guarded = `${blind}  - { id: unreadable-sql, match: { kind: sql }, when: 'sql.parse_error != ""', effect: deny }\n  - { id: dynamic-shell, match: { kind: shell }, when: shell.dynamic, effect: review }\n`
    assert.deepEqual(await lint(guarded), [])
  })

  it('warns about an allow rule on kinds whose facts it does not read', async () => {
    assert.deepEqual(await lint(policy('  - { id: trusted-agent, match: { agent: deploy-bot }, effect: allow }\n')), [['kind-without-facts', 'trusted-agent']])
    assert.deepEqual(
      await lint(policy('  - { id: half, match: { kind: [sql, shell] }, when: sql.read_only, effect: allow }\n')),
      [['kind-without-facts', 'half']],
    )
    // custom has no facts to read: allowing it by match keys is all one can do.
    assert.deepEqual(await lint(policy('  - { id: custom-ok, match: { kind: custom }, effect: allow }\n')), [])
  })
})
