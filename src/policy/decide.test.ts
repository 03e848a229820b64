import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decideAction, policyFrom } from './test-support.js'

const prod = { name: 'prod-db', kind: 'sql', labels: { env: 'prod' } }
const staging = { name: 'staging-db', kind: 'sql', labels: { env: 'staging' } }
const custom = (payload: object) => ({ kind: 'custom', target: 'svc', payload })

function rules(body: string, head = 'default: allow'): string {
  return `version: 1\n${head}\nrules:\n${body}`
}

describe('combining rules', () => {
  const policyText = rules(`
  - { id: allow-a, when: 'action.payload.a == true', effect: allow }
  - { id: deny-d, when: 'action.payload.d == true', effect: deny, message: 'd is forbidden' }
  - { id: review-r1, when: 'action.payload.r1 == true', effect: review, review: { approvers: [group:dba], min_approvals: 2 } }
  - { id: review-r2, when: 'action.payload.r2 == true', effect: review, review: { approvers: [group:security] } }
`, 'default: deny')

  // Every flag is present, so no condition errors here (errors have their own tests below).
  const FLAGS_OFF = { a: false, d: false, r1: false, r2: false }
  const table = [
    { name: 'no rule applies: the default decides', payload: {}, effect: 'deny', matched: [], defaultApplied: true },
    { name: 'an allow rule alone allows', payload: { a: true }, effect: 'allow', matched: ['allow-a'] },
    { name: 'deny wins over allow', payload: { a: true, d: true }, effect: 'deny', matched: ['allow-a', 'deny-d'] },
    { name: 'deny wins over review', payload: { r1: true, d: true }, effect: 'deny', matched: ['deny-d', 'review-r1'] },
    { name: 'review wins over allow', payload: { a: true, r1: true }, effect: 'review', matched: ['allow-a', 'review-r1'] },
    { name: 'every matched review rule is its own requirement', payload: { r1: true, r2: true }, effect: 'review', matched: ['review-r1', 'review-r2'] },
    { name: 'deny wins over everything at once', payload: { a: true, d: true, r1: true, r2: true }, effect: 'deny', matched: ['allow-a', 'deny-d', 'review-r1', 'review-r2'] },
  ] as const

  for (const scenario of table) {
    it(scenario.name, async () => {
      const decision = await decideAction(await policyFrom(policyText), custom({ ...FLAGS_OFF, ...scenario.payload }))
      assert.equal(decision.effect, scenario.effect)
      assert.deepEqual(decision.matched_rules, scenario.matched)
      assert.equal(decision.default_applied, 'defaultApplied' in scenario)
    })
  }

  it('lists one requirement per matched review rule, each with its own approvers and quorum', async () => {
    const decision = await decideAction(await policyFrom(policyText), custom({ ...FLAGS_OFF, r1: true, r2: true }))
    assert.deepEqual(
      decision.requirements.map((r) => [r.rule, r.approvers, r.min_approvals]),
      [
        ['review-r1', ['group:dba'], 2],
        ['review-r2', ['group:security'], 1],
      ],
    )
    assert.match(decision.explanation, /review required by review-r1, review-r2: 2 approvals from group:dba and 1 approval from group:security/)
  })

  it('carries the deny message and names the rule in the explanation', async () => {
    const decision = await decideAction(await policyFrom(policyText), custom({ ...FLAGS_OFF, d: true }))
    assert.deepEqual(decision.messages, ['d is forbidden'])
    assert.match(decision.explanation, /denied by deny-d: d is forbidden/)
  })

  for (const effect of ['allow', 'deny', 'review'] as const) {
    it(`applies the default effect ${effect} when no rule matches`, async () => {
      const policy = await policyFrom(rules(`  - { id: never, when: 'false', effect: allow }`, `default: ${effect}\ndefault_review: { approvers: [group:oncall] }`))
      const decision = await decideAction(policy, custom({}))
      assert.equal(decision.effect, effect)
      assert.equal(decision.default_applied, true)
      assert.deepEqual(decision.requirements.map((r) => r.rule), effect === 'review' ? ['default'] : [])
    })
  }
})

describe('conditions that fail to evaluate never open a door', () => {
  // `action.payload.missing` is a runtime error: the key is absent from the payload.
  const failing = `action.payload.missing == 1`

  it('counts an erroring deny condition as matching', async () => {
    const policy = await policyFrom(rules(`  - { id: d, when: '${failing}', effect: deny }`))
    const decision = await decideAction(policy, custom({}))
    assert.equal(decision.effect, 'deny')
    assert.match(decision.rules[0]?.error ?? '', /missing/)
  })

  it('counts an erroring review condition as matching', async () => {
    const policy = await policyFrom(rules(`  - { id: r, when: '${failing}', effect: review }`))
    assert.equal((await decideAction(policy, custom({}))).effect, 'review')
  })

  it('counts an erroring allow condition as not matching', async () => {
    const policy = await policyFrom(rules(`  - { id: a, when: '${failing}', effect: allow }`, 'default: review'))
    const decision = await decideAction(policy, custom({}))
    assert.equal(decision.effect, 'review')
    assert.equal(decision.rules[0]?.matched, false)
    assert.match(decision.rules[0]?.reason ?? '', /never allows/)
  })

  it('treats a condition giving a non-boolean at run time as an error', async () => {
    const policy = await policyFrom(rules(`  - { id: a, when: 'action.payload.flag', effect: allow }`, 'default: deny'))
    const decision = await decideAction(policy, custom({ flag: 'yes' }))
    assert.equal(decision.effect, 'deny')
    assert.match(decision.rules[0]?.error ?? '', /not true or false|bool/)
  })

  it('sees empty facts of other kinds, so a rule about SQL does not misfire on a shell action', async () => {
    const policy = await policyFrom(rules(`  - { id: never-drop-database, when: 'sql.statements.exists(s, s.type == "drop" && s.object == "database")', effect: deny }`))
    assert.equal((await decideAction(policy, { kind: 'shell', target: 'h', payload: { command: 'ls' } })).effect, 'allow')
    assert.equal((await decideAction(policy, { kind: 'sql', target: 'db', payload: { sql: 'DROP DATABASE prod' } })).effect, 'deny')
  })

  it('takes an MCP tool the gateway has not listed as destructive: the cautious MCP defaults, never an allow', async () => {
    const policy = await policyFrom(
      rules(`
  - { id: reads, match: { kind: mcp }, when: 'mcp.read_only', effect: allow }
  - { id: destroys, match: { kind: mcp }, when: 'mcp.destructive', effect: deny }`, 'default: review'),
    )
    const decision = await decideAction(policy, { kind: 'mcp', target: 'tools', payload: { server: 'fs', tool: 'read_file', arguments: {} } })
    assert.equal(decision.effect, 'deny')
    assert.deepEqual(decision.matched_rules, ['destroys'])
  })
})

describe('match keys', () => {
  const policyText = rules(`
  - { id: by-kind, match: { kind: sql }, effect: allow }
  - { id: by-kinds, match: { kind: [shell, http] }, effect: allow }
  - { id: by-target-glob, match: { target: 'prod-*' }, effect: allow }
  - { id: by-env, match: { env: prod }, effect: allow }
  - { id: by-envs, match: { env: [prod, staging] }, effect: allow }
  - { id: by-agent-glob, match: { agent: 'deploy-?ot' }, effect: allow }
  - { id: all-keys, match: { kind: sql, target: 'prod-db', env: prod, agent: 'deploy-*' }, effect: allow }
`, 'default: deny')

  it('selects rules by kind, target glob, env and agent glob, each key required', async () => {
    const policy = await policyFrom(policyText)
    const agent = { id: 'deploy-bot', owner: 'carol@example.com', labels: {} }
    const sql = { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } }
    assert.deepEqual((await decideAction(policy, sql, { target: prod, agent })).matched_rules, ['by-kind', 'by-target-glob', 'by-env', 'by-envs', 'by-agent-glob', 'all-keys'])
    assert.deepEqual((await decideAction(policy, { ...sql, target: 'staging-db' }, { target: staging })).matched_rules, ['by-kind', 'by-envs'])
    assert.deepEqual((await decideAction(policy, { kind: 'shell', target: 'h', payload: { command: 'ls' } })).matched_rules, ['by-kinds'])
  })

  it('reports how many rules its match keys excluded and evaluates only the rest', async () => {
    const decision = await decideAction(await policyFrom(policyText), { kind: 'shell', target: 'h', payload: { command: 'ls' } })
    assert.equal(decision.excluded_rules, 6)
    assert.deepEqual(decision.rules.map((r) => r.id), ['by-kinds'])
  })

  it('gives an action without a target no env, so env rules do not match it', async () => {
    const policy = await policyFrom(rules(`  - { id: prod-only, match: { env: prod }, effect: deny }`))
    assert.equal((await decideAction(policy, { kind: 'sql', payload: { sql: 'SELECT 1' } })).effect, 'allow')
  })
})

describe('what conditions can read', () => {
  it('reads target labels, agent, context and payload', async () => {
    const policy = await policyFrom(
      rules(`
  - id: all
    when: >
      target.labels.team == "data" && target.env == "prod" && agent.owner == "carol@example.com"
      && agent.labels.tier == "gold" && context.reason.contains("ticket") && action.kind == "sql"
      && action.target == "prod-db" && action.payload.sql.startsWith("SELECT") && context.on_behalf_of == ""
    effect: allow`, 'default: deny'),
    )
    const decision = await decideAction(
      policy,
      { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' }, context: { reason: 'ticket 42' } },
      { target: { ...prod, labels: { env: 'prod', team: 'data' } }, agent: { id: 'a', owner: 'carol@example.com', labels: { tier: 'gold' } } },
    )
    assert.equal(decision.effect, 'allow', decision.explanation)
  })

  it('reads the digest of the action', async () => {
    const policy = await policyFrom(rules(`  - { id: d, when: 'action.digest.size() == 64', effect: deny }`))
    assert.equal((await decideAction(policy, custom({}))).effect, 'deny')
  })

  it('reads the hour and weekday in the policy time zone', async () => {
    const policy = await policyFrom(
      rules(`  - { id: night, when: 'time.hour < 6 || time.weekday == 0 || time.weekday == 6', effect: review }`, 'default: allow\ntimezone: America/New_York'),
    )
    // 03:30 UTC on a Monday is 22:30 on Sunday in New York.
    assert.equal((await decideAction(policy, custom({}), { now: new Date('2026-01-05T03:30:00Z') })).effect, 'review')
    // 15:00 UTC on a Monday is 10:00 on Monday in New York.
    assert.equal((await decideAction(policy, custom({}), { now: new Date('2026-01-05T15:00:00Z') })).effect, 'allow')
  })

  it('reads integer facts as CEL integers', async () => {
    const policy = await policyFrom(rules(`  - { id: many, match: { kind: sql }, when: 'sql.count == 2 && sql.count > 1', effect: review }`))
    assert.equal((await decideAction(policy, { kind: 'sql', payload: { sql: 'SELECT 1; SELECT 2' } })).effect, 'review')
    assert.equal((await decideAction(policy, { kind: 'sql', payload: { sql: 'SELECT 1' } })).effect, 'allow')
  })
})

describe('review requirements', () => {
  it('uses default_review for a review rule without its own block and for the default', async () => {
    const policy = await policyFrom(
      rules(`  - { id: r, when: '"r" in action.payload', effect: review }`, 'default: review\ndefault_review: { approvers: [group:oncall], timeout: 10m }'),
    )
    for (const payload of [{ r: true }, {}]) {
      const [requirement] = (await decideAction(policy, custom(payload))).requirements
      assert.deepEqual(requirement?.approvers, ['group:oncall'])
      assert.equal(requirement?.timeout_ms, 600_000)
      assert.equal(requirement?.execute_within_ms, 900_000)
    }
  })

  it('lets any human review when neither the rule nor the policy names approvers', async () => {
    const decision = await decideAction(await policyFrom('version: 1\n'), custom({}))
    assert.equal(decision.effect, 'review')
    assert.deepEqual(decision.requirements[0]?.approvers, [])
    assert.match(decision.explanation, /any human/)
  })

  it('lower-cases user approvers so identities compare canonically', async () => {
    const policy = await policyFrom(rules(`  - { id: r, effect: review, review: { approvers: [user:Carol@Example.COM] } }`))
    assert.deepEqual((await decideAction(policy, custom({}))).requirements[0]?.approvers, ['user:carol@example.com'])
  })
})

describe('actions cannot dodge the rules of their kind', () => {
  const buildHost = { name: 'build-host', kind: 'shell', labels: { env: 'staging' } }
  const policyText = rules(`
  - { id: no-rm, match: { target: build-host }, when: 'shell.programs.exists(p, p == "rm")', effect: deny }
  - { id: harmless-shell, match: { target: build-host }, when: 'shell.programs.all(p, p in ["ls", "cat"])', effect: allow }`, 'default: review')

  it('denies an action whose kind is not its target\'s', async () => {
    const policy = await policyFrom(policyText)
    for (const kind of ['custom', 'sql', 'http']) {
      const payload = kind === 'sql' ? { sql: 'SELECT 1' } : kind === 'http' ? { method: 'GET', url: 'https://x' } : { command: 'rm -rf /srv' }
      const decision = await decideAction(policy, { kind, target: 'build-host', payload }, { target: buildHost })
      assert.equal(decision.effect, 'deny', kind)
      assert.match(decision.explanation, new RegExp(`target build-host takes shell actions, not ${kind}`))
    }
    assert.equal((await decideAction(policy, { kind: 'shell', target: 'build-host', payload: { command: 'rm -rf /srv' } }, { target: buildHost })).effect, 'deny')
  })

  it('does not let an allow rule over shell facts allow another kind through their empty values', async () => {
    const policy = await policyFrom(rules(`  - { id: harmless-shell, when: 'shell.programs.all(p, p in ["ls", "cat"])', effect: allow }`, 'default: review'))
    const decision = await decideAction(policy, { kind: 'sql', payload: { sql: 'DELETE FROM users' } })
    assert.equal(decision.effect, 'review')
    assert.equal(decision.rules.length, 0)
    assert.equal(decision.excluded_rules, 1)
    assert.equal((await decideAction(policy, { kind: 'shell', payload: { command: 'ls' } })).effect, 'allow')
  })
})

describe('regular expressions', () => {
  it('uses RE2, so a pathological pattern runs in linear time on an agent\'s input', async () => {
    const policy = await policyFrom(rules(`  - { id: slugs, match: { kind: shell }, when: 'shell.commands.all(c, c.args.all(a, a.matches("^([a-z0-9]+-?)+$")))', effect: allow }`, 'default: review'))
    // With a backtracking engine this argument takes longer than the age of the universe.
    const decision = await decideAction(policy, { kind: 'shell', payload: { argv: ['ls', `${'a'.repeat(5000)}!`] } })
    assert.equal(decision.effect, 'review')
  })

  it('understands RE2 classes such as \\p{Cf} (invisible format characters)', async () => {
    const policy = await policyFrom(rules(`  - { id: bidi, when: 'context.reason.matches("\\\\p{Cf}")', effect: deny }`))
    assert.equal((await decideAction(policy, { kind: 'custom', payload: {}, context: { reason: 'fix \u202e' } })).effect, 'deny')
    assert.equal((await decideAction(policy, { kind: 'custom', payload: {}, context: { reason: 'fix' } })).effect, 'allow')
  })
})

describe('remembered decisions', () => {
  const policyText = rules(`
  - { id: drops, when: 'sql.statements.exists(s, s.type == "drop")', effect: deny, message: no drops }
  - { id: reads, when: 'sql.read_only', effect: allow }
  - { id: gold, when: 'target.labels.tier == "gold"', effect: review }`, 'default: review')
  const db = (tier?: string) => ({ target: { name: 'db', kind: 'sql', labels: tier ? { tier } : ({} as Record<string, string>) } })
  const sql = (text: string) => ({ kind: 'sql', target: 'db', payload: { sql: text } })

  it('hands out one frozen decision for actions whose conditions come out the same', async () => {
    const policy = await policyFrom(policyText)
    const first = await decideAction(policy, sql('SELECT 1'), db('silver'))
    const second = await decideAction(policy, sql('SELECT * FROM users'), db('silver'))
    assert.equal(first.effect, 'allow')
    assert.equal(second, first)
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.rules) && Object.isFrozen(first.matched_rules))
    const drop = await decideAction(policy, sql('DROP TABLE users'), db('silver'))
    assert.equal(drop.effect, 'deny')
    assert.deepEqual(drop.messages, ['no drops'])
    assert.equal((await decideAction(policy, sql('SELECT 1'), db('gold'))).effect, 'review')
  })

  it('decides afresh when a condition errors, with that error, and remembers nothing for it', async () => {
    const policy = await policyFrom(policyText)
    // No `tier` label: reading it errors, which counts as matching for the review rule.
    const failed = await decideAction(policy, sql('SELECT 1'), db())
    assert.equal(failed.effect, 'review')
    assert.match(failed.rules[2]?.error ?? '', /tier/)
    const again = await decideAction(policy, sql('SELECT 1'), db())
    assert.notEqual(again, failed)
    assert.deepEqual(again, failed)
    assert.equal((await decideAction(policy, sql('SELECT 1'), db('silver'))).effect, 'allow')
  })
})

describe('the compiled policy', () => {
  it('cannot be changed through a decision', async () => {
    const policy = await policyFrom(rules(`  - { id: r, effect: review, review: { approvers: [group:dba] } }`))
    const decision = await decideAction(policy, custom({}))
    assert.throws(() => (decision.requirements[0]?.approvers as string[]).push('group:everyone'), TypeError)
    assert.throws(() => (policy.rules as unknown[]).pop(), TypeError)
  })
})
