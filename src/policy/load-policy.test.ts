import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CountersignError, type ErrorDetail } from '../errors/index.js'
import { loadAnalyzers } from '../analyzers/index.js'
import { compilePolicy } from './load-policy.js'
import { policyFrom } from './test-support.js'

async function problems(text: string): Promise<readonly ErrorDetail[]> {
  try {
    await policyFrom(text)
  } catch (error) {
    assert.ok(error instanceof CountersignError, `expected a CountersignError, got ${String(error)}`)
    assert.equal(error.code, 'INVALID')
    return error.details
  }
  assert.fail('the policy was accepted')
}

/** Each broken policy, the line and column its first problem is reported at, and what it says. */
const BROKEN = [
  { name: 'YAML syntax', text: 'version: 1\nrules:\n  - id: a\n    effect: [allow\n', line: 5, message: /flow sequence|Missing|expected/i },
  { name: 'a duplicate key', text: 'version: 1\ndefault: allow\ndefault: deny\n', line: 3, column: 1, message: /unique|duplicate/i },
  { name: 'an empty file', text: '', line: undefined, message: /empty/ },
  { name: 'a missing version', text: 'default: allow\n', line: 1, column: 1, message: /missing required key "version"/ },
  { name: 'a wrong version', text: 'version: 2\n', line: 1, column: 10, message: /expected version: 1/ },
  { name: 'an unknown top-level key', text: 'version: 1\nrulez: []\n', line: 2, column: 1, message: /unknown key "rulez" \(expected one of: version, default/ },
  { name: 'an unknown rule key', text: 'version: 1\nrules:\n  - id: a\n    efect: allow\n    effect: allow\n', line: 4, column: 5, message: /unknown key "efect" \(expected one of: id, description, match, when, effect/ },
  { name: 'an unknown match key', text: 'version: 1\nrules:\n  - { id: a, effect: allow, match: { knd: sql } }\n', line: 3, column: 38, message: /unknown key "knd" \(expected one of: kind, target, env, agent\)/ },
  { name: 'an unknown kind', text: 'version: 1\nrules:\n  - { id: a, effect: allow, match: { kind: sequel } }\n', line: 3, column: 44, message: /^expected an action kind or a list of them; the kinds are sql, shell, terraform, kubernetes, http, mcp, custom, policy$/ },
  { name: 'an unknown kind in a list', text: 'version: 1\nrules:\n  - { id: a, effect: allow, match: { kind: [sql, shel] } }\n', line: 3, column: 44, message: /^expected an action kind or a list of them; the kinds are sql, shell/ },
  { name: 'a missing effect', text: 'version: 1\nrules:\n  - id: a\n', line: 3, column: 5, message: /missing required key "effect"/ },
  { name: 'a bad effect', text: 'version: 1\nrules:\n  - id: a\n    effect: permit\n', line: 4, column: 13, message: /allow.*deny.*review/ },
  { name: 'a bad rule id', text: 'version: 1\nrules:\n  - id: "a b"\n    effect: allow\n', line: 3, column: 9, message: /expected an id/ },
  { name: 'a duplicate rule id', text: 'version: 1\nrules:\n  - { id: a, effect: allow }\n  - { id: a, effect: deny }\n', line: 4, column: 11, message: /duplicate rule id "a" \(first at rules\[0\]\)/ },
  { name: 'a bad duration', text: 'version: 1\nrules:\n  - id: a\n    effect: review\n    review: { timeout: 30 minutes }\n', line: 5, column: 24, message: /expected a duration such as 90s/ },
  { name: 'a bad approver', text: 'version: 1\nrules:\n  - id: a\n    effect: review\n    review: { approvers: [dba] }\n', line: 5, column: 27, message: /expected group:NAME or user:EMAIL/ },
  { name: 'a bad channel', text: 'version: 1\ndefault_review: { channels: [irc:#ops] }\n', line: 2, column: 30, message: /expected slack:NAME/ },
  { name: 'a review block on an allow rule', text: 'version: 1\nrules:\n  - id: a\n    effect: allow\n    review: { min_approvals: 2 }\n', line: 5, column: 13, message: /review block belongs to effect review/ },
  { name: 'a zero quorum', text: 'version: 1\nrules:\n  - { id: a, effect: review, review: { min_approvals: 0 } }\n', line: 3, column: 55, message: />=\s*1|at least|too small/i },
  { name: 'an unknown time zone', text: 'version: 1\ntimezone: Mars/Olympus\n', line: 2, column: 11, message: /unknown time zone "Mars\/Olympus"/ },
  { name: 'a CEL syntax error', text: 'version: 1\nrules:\n  - id: a\n    when: sql.read_only &&\n    effect: allow\n', line: 4, column: 27, message: /invalid condition: Unexpected token: EOF/ },
  { name: 'an unknown fact', text: 'version: 1\nrules:\n  - id: a\n    when: sql.read_onl\n    effect: allow\n', line: 4, column: 15, message: /unknown field "read_onl"/ },
  { name: 'an unknown fact of a statement', text: "version: 1\nrules:\n  - id: a\n    when: 'sql.statements.exists(s, s.tipe == \"drop\")'\n    effect: deny\n", line: 4, column: 39, message: /unknown field "tipe"/ },
  { name: 'an unknown variable', text: 'version: 1\nrules:\n  - id: a\n    when: request.method == "GET"\n    effect: allow\n', line: 4, column: 11, message: /unknown variable "request" \(known: action, target, agent, context, time, sql, shell/ },
  { name: 'a type error', text: 'version: 1\nrules:\n  - id: a\n    when: sql.count + "x" == 1\n    effect: allow\n', line: 4, column: 11, message: /invalid condition: .*overload/ },
  { name: 'a non-boolean condition', text: 'version: 1\nrules:\n  - id: a\n    when: sql.count\n    effect: allow\n', line: 4, column: 11, message: /must be true or false, but it gives a value of type int/ },
  { name: 'an error inside a folded block condition', text: 'version: 1\nrules:\n  - id: a\n    when: >\n      sql.read_only\n      && sql.nope\n    effect: allow\n', line: 6, column: 14, message: /unknown field "nope"/ },
  { name: 'an invalid RE2 pattern', text: "version: 1\nrules:\n  - { id: a, when: 'context.reason.matches(\"a(?=b)\")', effect: deny }\n", line: 3, column: 44, message: /invalid regular expression \(RE2 syntax\)/ },
  { name: 'matches() on a payload value', text: "version: 1\nrules:\n  - { id: a, when: 'action.payload.sql.matches(\"^DROP\")', effect: deny }\n", line: 3, column: 20, message: /matches\(\) applies to typed values only/ },
  { name: 'an unknown YAML tag', text: 'version: 1\nrules:\n  - { id: a, effect: !foo allow }\n', line: 3, message: /tag/i },
  { name: 'a YAML merge key', text: 'version: 1\nbase: &b { effect: allow }\nrules:\n  - { id: a, <<: *b }\n', line: 2, column: 1, message: /unknown key "base"/ },
  { name: 'a duration over 30 days', text: 'version: 1\ndefault_review: { timeout: 31d }\n', line: 2, column: 28, message: /at most 30d/ },
] as const

describe('policy validation', () => {
  for (const broken of BROKEN) {
    it(`reports ${broken.name} with its location`, async () => {
      const [first] = await problems(broken.text)
      assert.ok(first)
      assert.match(first.message, broken.message)
      assert.equal(first.file, 'policy.yaml')
      assert.equal(first.line, broken.line, `line of: ${first.message}`)
      if ('column' in broken) assert.equal(first.column, broken.column, `column of: ${first.message}`)
    })
  }

  it('reports every problem at once, not only the first', async () => {
    const found = await problems('version: 1\nrules:\n  - { id: a, when: "sql.nope", effect: allow }\n  - { id: b, when: "shell.nope", effect: deny }\n')
    assert.equal(found.length, 2)
    assert.deepEqual(found.map((p) => p.line), [3, 4])
  })

  it('accepts the policy of the policy reference', async () => {
    const policy = await policyFrom(`version: 1
default: review
default_review:
  approvers: [group:oncall]
rules:
  - id: sql-read-only
    description: Read-only SQL runs without review.
    match: { kind: sql }
    when: sql.read_only
    effect: allow
  - id: destructive-sql-prod
    match: { kind: sql, env: prod }
    when: >
      sql.statements.exists(s, s.type in ["delete", "update"] && !s.has_where)
      || sql.ddl
    effect: review
    review:
      approvers: [group:dba, user:carol@example.com]
      min_approvals: 2
      timeout: 30m
      execute_within: 15m
      reason_required: true
      channels: [slack:#db-approvals, teams:dba-team]
  - id: never-drop-database
    when: sql.statements.exists(s, s.type == "drop" && s.object == "database")
    effect: deny
    message: Dropping a database is never allowed through agents.
`)
    assert.equal(policy.rules.length, 3)
    assert.equal(policy.rules[1]?.review?.timeout_ms, 1_800_000)
    assert.match(policy.version, /^[0-9a-f]{64}$/)
  })

  it('keeps only the review channels of the types the gateway has, so none says it asked where nothing is sent', async () => {
    const text = 'version: 1\ndefault: review\ndefault_review: { channels: [slack:#db-approvals, teams:dba-team, console] }\nrules:\n  - { id: r, effect: review, review: { channels: [slack:#ops] } }\n'
    const analyzers = await loadAnalyzers()
    const offline = compilePolicy(text, { factKinds: analyzers.factKinds })
    assert.deepEqual(offline.defaultReview.channels, ['slack:#db-approvals', 'teams:dba-team', 'console'])
    const withoutSlack = compilePolicy(text, { factKinds: analyzers.factKinds, channelTypes: ['console', 'teams'] })
    assert.deepEqual(withoutSlack.defaultReview.channels, ['teams:dba-team', 'console'])
    assert.deepEqual(withoutSlack.rules[0]?.review?.channels, [])
    assert.equal(withoutSlack.version, offline.version)
  })
})
