import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { CountersignError, type ErrorDetail } from '../errors/index.js'
import { configFromObject, loadConfig, parseConfig, type Config } from './index.js'

const EXAMPLE = fileURLToPath(new URL('../../examples/countersign.yaml', import.meta.url))
const BASE = '/srv/countersign'
const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)

function parse(text: string): Config {
  return parseConfig(text, { file: 'countersign.yaml', baseDir: BASE })
}

function problems(text: string): readonly ErrorDetail[] {
  try {
    parse(text)
  } catch (error) {
    assert.ok(error instanceof CountersignError, `expected a CountersignError, got ${String(error)}`)
    assert.equal(error.code, 'INVALID')
    return error.details
  }
  assert.fail('the config was accepted')
}

describe('loading countersign.yaml', () => {
  it('loads the example config, with paths made absolute beside it', () => {
    const config = loadConfig(EXAMPLE)
    const dir = join(EXAMPLE, '..')
    assert.equal(config.policy, join(dir, 'policy.yaml'))
    assert.deepEqual(config.store, { kind: 'embedded', data_dir: join(dir, '.countersign') })
    assert.equal(config.targets.find((target) => target.name === 'prod-db')?.labels['env'], 'prod')
    assert.deepEqual(config.targets[0]?.connector, { type: 'postgres', url: { kind: 'env', name: 'PROD_DB_URL', ref: 'env:PROD_DB_URL' } })
    // No key: the embedded store generates one in its data directory.
    assert.equal(config.audit.signing_key, undefined)
    assert.equal(config.audit.checkpoint_interval_ms, 60_000)
    assert.deepEqual(config.identities.auditors, ['dave@example.com'])
  })

  it('fills in every default', () => {
    const config = parse('policy: ./policy.yaml\n')
    assert.deepEqual(config.server, { listen: '127.0.0.1:8470', host: '127.0.0.1', port: 8470, public_url: 'http://127.0.0.1:8470', body_limit: 1_114_112, trust_proxy: false })
    assert.deepEqual(config.store, { kind: 'embedded', data_dir: `${BASE}/.countersign` })
    assert.deepEqual(config.identities, { humans: [], agents: [], groups: {}, admins: [], auditors: [], allowed_domains: [] })
    assert.deepEqual(config.targets, [])
    assert.deepEqual(config.audit, { previous_keys: [], checkpoint_interval_ms: 60_000, witnesses: [], witness_quorum: 0 })
    assert.deepEqual(config.channels, { webhooks: [] })
  })

  it('reads a section with everything under it commented out as its defaults', () => {
    const config = parse('policy: p\nserver:\n  # listen: 0.0.0.0:8470\nchannels:\n')
    assert.equal(config.server.listen, '127.0.0.1:8470')
    assert.deepEqual(config.channels, { webhooks: [] })
  })

  it('accepts IPv6 and wildcard listen addresses and derives a reachable public URL', () => {
    assert.deepEqual(pick(parse('policy: p\nserver: { listen: "[::1]:9000" }\n').server), { host: '::1', port: 9000, public_url: 'http://[::1]:9000' })
    assert.deepEqual(pick(parse('policy: p\nserver: { listen: "0.0.0.0:80" }\n').server), { host: '0.0.0.0', port: 80, public_url: 'http://127.0.0.1:80' })
    assert.deepEqual(pick(parse('policy: p\nserver: { listen: "localhost:0", public_url: "https://cs.example.com/" }\n').server), {
      host: 'localhost',
      port: 0,
      public_url: 'https://cs.example.com',
    })
    function pick(server: Config['server']) {
      return { host: server.host, port: server.port, public_url: server.public_url }
    }
  })

  it('reads sizes with units and PostgreSQL settings', () => {
    const config = parse('policy: p\nserver: { body_limit: 2MiB, trust_proxy: true }\nstore: { database_url: env:DATABASE_URL, pool_size: 4 }\n')
    assert.equal(config.server.body_limit, 2_097_152)
    assert.equal(config.server.trust_proxy, true)
    assert.deepEqual(parse('policy: p\nserver: { trust_proxy: [10.0.0.0/8, "::1", 192.0.2.7] }\n').server.trust_proxy, ['10.0.0.0/8', '::1', '192.0.2.7'])
    assert.deepEqual(config.store, { kind: 'postgres', database_url: { kind: 'env', name: 'DATABASE_URL', ref: 'env:DATABASE_URL' }, pool_size: 4 })
  })

  it('canonicalizes emails, domains and token hashes', () => {
    const config = parse(
      `policy: p\nidentities:\n  humans: [{ email: Alice@Example.COM, token_sha256: [${HASH_A.toUpperCase()}] }]\n  agents: [{ id: Deploy-Bot, owner: Carol@Example.com }]\n  admins: [CAROL@example.com]\n  allowed_domains: [Example.COM]\n`,
    )
    assert.equal(config.identities.humans[0]?.email, 'alice@example.com')
    assert.deepEqual(config.identities.humans[0]?.token_sha256, [HASH_A])
    assert.equal(config.identities.agents[0]?.id, 'Deploy-Bot')
    assert.equal(config.identities.agents[0]?.owner, 'carol@example.com')
    assert.deepEqual(config.identities.admins, ['carol@example.com'])
    assert.deepEqual(config.identities.allowed_domains, ['example.com'])
  })

  it('reads the channels, with their defaults', () => {
    const config = parse(
      [
        'policy: p',
        'channels:',
        '  slack: { bot_token: env:SLACK_BOT_TOKEN, signing_secret: "file:secrets/slack", team_id: T0123ABCD, default_channel: "#approvals" }',
        '  teams:',
        '    app_id: 00000000-0000-0000-0000-000000000000',
        '    app_password: env:TEAMS_APP_PASSWORD',
        '    tenant_id: 11111111-1111-1111-1111-111111111111',
        '    channels: { dba-team: "19:abc@thread.tacv2" }',
        '  webhooks: [{ url: "https://hooks.example.com/countersign", secret: env:WEBHOOK_SECRET, events: [action.pending] }]',
      ].join('\n'),
    )
    const slack = config.channels.slack
    assert.equal(slack?.api_url, 'https://slack.com/api/')
    assert.equal(slack?.dm_approvers, false)
    assert.deepEqual(slack?.signing_secret, { kind: 'file', path: `${BASE}/secrets/slack`, ref: 'file:secrets/slack' })
    assert.equal(config.channels.teams?.channels['dba-team'], '19:abc@thread.tacv2')
    assert.deepEqual(config.channels.webhooks[0]?.events, ['action.pending'])
  })

  it('lets Slack in Socket Mode go without a signing secret', () => {
    const config = parse('policy: p\nchannels:\n  slack: { bot_token: env:B, team_id: T0123, socket_mode: { app_token: env:A } }\n')
    assert.equal(config.channels.slack?.signing_secret, undefined)
    assert.deepEqual(config.channels.slack?.socket_mode?.app_token, { kind: 'env', name: 'A', ref: 'env:A' })
  })

  it('resolves relative paths against the config file directory, not the working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-config-'))
    mkdirSync(join(dir, 'etc'))
    writeFileSync(join(dir, 'etc', 'countersign.yaml'), 'policy: ../policies/main.yaml\nstore: { data_dir: state }\naudit: { signing_key: "file:/abs/key.pem" }\n')
    const config = loadConfig(join(dir, 'etc', 'countersign.yaml'))
    assert.equal(config.policy, join(dir, 'policies', 'main.yaml'))
    assert.deepEqual(config.store, { kind: 'embedded', data_dir: join(dir, 'etc', 'state') })
    assert.equal(config.audit.signing_key?.kind === 'file' && config.audit.signing_key.path, '/abs/key.pem')
  })

  it('uses the caller’s default policy when the config names none', () => {
    assert.equal(parseConfig('{}', { baseDir: BASE, defaultPolicy: 'policy.yaml' }).policy, `${BASE}/policy.yaml`)
    assert.equal(parseConfig('', { baseDir: BASE, defaultPolicy: '/etc/p.yaml' }).policy, '/etc/p.yaml')
  })

  it('returns a deep-frozen config', () => {
    const config = loadConfig(EXAMPLE)
    const frozen = (value: unknown): boolean => !value || typeof value !== 'object' || (Object.isFrozen(value) && Object.values(value).every(frozen))
    assert.ok(frozen(config))
    assert.throws(() => {
      ;(config.identities.humans as unknown as unknown[]).push({})
    }, TypeError)
    assert.throws(() => {
      ;(config.targets[0]!.labels as Record<string, string>)['env'] = 'dev'
    }, TypeError)
  })

  it('says in one line that the file is missing', () => {
    assert.throws(() => loadConfig('/nonexistent/countersign.yaml'), { code: 'INVALID', message: 'cannot read config /nonexistent/countersign.yaml: no such file' })
  })
})

/** Each broken config, where its first problem is reported, and what it says. */
const BROKEN = [
  { name: 'YAML syntax', text: 'policy: p\nserver: { listen: [1\n', line: 3, message: /flow|Missing|expected/i },
  { name: 'a duplicate key', text: 'policy: a\npolicy: b\n', line: 2, column: 1, message: /unique|duplicate/i },
  { name: 'an unknown YAML tag', text: 'policy: !foo p\n', line: 1, message: /tag/i },
  { name: 'a config that is not a mapping', text: '- policy\n', line: 1, column: 1, message: /expected a mapping with the sections server, store, policy/ },
  { name: 'a missing policy', text: 'server: {}\n', line: 1, column: 1, message: /missing required key "policy"/ },
  { name: 'a misspelt section', text: 'policy: p\nidentites: {}\n', line: 2, column: 1, message: /unknown key "identites" \(did you mean "identities"\?\)/ },
  { name: 'an unknown section', text: 'policy: p\nfrobnicate: {}\n', line: 2, column: 1, message: /unknown key "frobnicate" \(expected one of: server, store, policy, identities, targets, audit, channels[a-z, ]*\)/ },
  { name: 'a misspelt nested key', text: 'policy: p\nidentities:\n  humans:\n    - { email: a@example.com, grups: [dba] }\n', line: 4, column: 31, message: /unknown key "grups" \(did you mean "groups"\?\)/ },
  { name: 'a listen address without a port', text: 'policy: p\nserver: { listen: localhost }\n', line: 2, column: 19, message: /expected host:port/ },
  { name: 'a port out of range', text: 'policy: p\nserver: { listen: "127.0.0.1:65536" }\n', line: 2, column: 19, message: /port from 0 to 65535, got 65536/ },
  { name: 'a malformed IPv6 listen address', text: 'policy: p\nserver: { listen: "[::g]:80" }\n', line: 2, column: 19, message: /expected host:port/ },
  { name: 'a public URL that is not http(s)', text: 'policy: p\nserver: { public_url: "ftp://x.example.com" }\n', line: 2, column: 23, message: /http:\/\/ or https:\/\//i },
  { name: 'a public URL with a query', text: 'policy: p\nserver: { public_url: "https://cs.example.com/?x=1" }\n', line: 2, column: 23, message: /base URL cannot have a query/ },
  { name: 'a body limit without a unit', text: 'policy: p\nserver: { body_limit: 2 gigs }\n', line: 2, column: 23, message: /size between 1KiB and 64MiB/ },
  { name: 'a non-boolean trust_proxy', text: 'policy: p\nserver: { trust_proxy: yes }\n', line: 2, column: 24, message: /boolean/ },
  { name: 'a trust_proxy entry that is not an address or CIDR block', text: 'policy: p\nserver: { trust_proxy: [10.0.0.0/8, 10.0.0.0/33] }\n', line: 2, column: 37, message: /IP address or CIDR block/ },
  { name: 'both stores', text: 'policy: p\nstore:\n  data_dir: ./data\n  database_url: env:DATABASE_URL\n', line: 4, column: 17, message: /either data_dir .* or database_url .*, not both/ },
  { name: 'a pool size for the embedded store', text: 'policy: p\nstore: { pool_size: 5 }\n', line: 2, column: 21, message: /pool_size applies to database_url/ },
  { name: 'a database URL that is not PostgreSQL', text: 'policy: p\nstore: { database_url: "mysql://app@db/x" }\n', line: 2, column: 24, message: /postgres:\/\/ URL without a password/ },
  { name: 'an invalid human email', text: 'policy: p\nidentities:\n  humans: [{ email: alice }]\n', line: 3, column: 21, message: /expected an email address/ },
  { name: 'a bad token hash', text: 'policy: p\nidentities:\n  humans: [{ email: a@example.com, token_sha256: [3b1f] }]\n', line: 3, column: 51, message: /64 hex digits/ },
  { name: 'a bad group name', text: 'policy: p\nidentities:\n  humans: [{ email: a@example.com, groups: ["on call"] }]\n', line: 3, column: 45, message: /expected a group name/ },
  { name: 'a bad key in identities.groups', text: 'policy: p\nidentities:\n  groups: { "on call": [a@example.com] }\n', line: 3, column: 13, message: /expected a group name .*got key "on call"/ },
  { name: 'an agent id that looks like an email', text: 'policy: p\nidentities:\n  agents: [{ id: bot@example.com, owner: a@example.com }]\n', line: 3, column: 18, message: /must not look like an email/ },
  { name: 'an agent id that is not a slug', text: 'policy: p\nidentities:\n  agents: [{ id: "deploy bot", owner: a@example.com }]\n', line: 3, column: 18, message: /expected an agent id of up to 64/ },
  { name: 'an agent without an owner', text: 'policy: p\nidentities:\n  agents: [{ id: bot }]\n', line: 3, column: 12, message: /missing required key "owner"/ },
  { name: 'an agent owner that is not an email', text: 'policy: p\nidentities:\n  agents: [{ id: bot, owner: carol }]\n', line: 3, column: 30, message: /expected an email address/ },
  { name: 'a bad allowed domain', text: 'policy: p\nidentities:\n  allowed_domains: ["@example.com"]\n', line: 3, column: 21, message: /expected a domain/ },
  { name: 'a bad target name', text: 'policy: p\ntargets:\n  - { name: "prod db", kind: sql }\n', line: 3, column: 13, message: /expected a name of up to 128/ },
  { name: 'an unknown target kind', text: 'policy: p\ntargets:\n  - { name: db, kind: sequel }\n', line: 3, column: 23, message: /"sql"\|"shell"/ },
  { name: 'a label that is not a string', text: 'policy: p\ntargets:\n  - { name: db, kind: sql, labels: { tier: 1 } }\n', line: 3, column: 44, message: /expected a string \(quote numbers/ },
  { name: 'a connector without a type', text: 'policy: p\ntargets:\n  - { name: db, kind: sql, connector: { url: env:DB } }\n', line: 3, column: 39, message: /missing required key "type"/ },
  { name: 'a dialect that contradicts the connector', text: 'policy: p\ntargets:\n  - { name: db, kind: sql, dialect: postgresql, connector: { type: mysql, url: env:DB } }\n', line: 3, message: /dialect postgresql contradicts the mysql connector, which speaks mysql/ },
  { name: 'a mysql dialect on a postgres connector', text: 'policy: p\ntargets:\n  - { name: db, kind: sql, dialect: mysql, connector: { type: postgres, url: env:DB } }\n', line: 3, message: /contradicts the postgres connector/ },
  { name: 'a dialect on a target that is not sql', text: 'policy: p\ntargets:\n  - { name: box, kind: shell, dialect: mysql }\n', line: 3, message: /dialect applies to sql targets only/ },
  { name: 'an unknown dialect', text: 'policy: p\ntargets:\n  - { name: db, kind: sql, dialect: oracle }\n', line: 3, message: /"postgresql"\|"mysql"/ },
  { name: 'a bad checkpoint interval', text: 'policy: p\naudit: { checkpoint_interval: 1 minute }\n', line: 2, column: 31, message: /expected a duration such as 30s/ },
  { name: 'a checkpoint interval over a day', text: 'policy: p\naudit: { checkpoint_interval: 2d }\n', line: 2, column: 31, message: /between 1s and 1d/ },
  { name: 'a bad env reference', text: 'policy: p\naudit: { signing_key: "env:1KEY" }\n', line: 2, column: 23, message: /expected env:NAME/ },
  { name: 'Slack over HTTP without a signing secret', text: 'policy: p\nchannels:\n  slack: { bot_token: env:B, team_id: T0123 }\n', line: 3, column: 10, message: /missing required key "signing_secret" \(needed unless socket_mode is set\)/ },
  { name: 'a bad Slack team id', text: 'policy: p\nchannels:\n  slack: { bot_token: env:B, signing_secret: env:S, team_id: acme }\n', line: 3, column: 62, message: /workspace id/ },
  { name: 'a bad Teams tenant id', text: 'policy: p\nchannels:\n  teams: { app_id: 00000000-0000-0000-0000-000000000000, app_password: env:P, tenant_id: contoso }\n', line: 3, column: 90, message: /tenant id \(a GUID\)/ },
  { name: 'a webhook URL with credentials', text: 'policy: p\nchannels:\n  webhooks: [{ url: "https://u:p@hooks.example.com", secret: env:W }]\n', line: 3, column: 21, message: /must not carry credentials/ },
  { name: 'a "__proto__" key', text: 'policy: p\ntargets:\n  - { name: db, kind: sql, labels: { __proto__: x } }\n', line: 3, column: 38, message: /"__proto__" is not allowed/ },
] as const

describe('target dialect', () => {
  it('reads SQL as the connector speaks it unless the target says otherwise', () => {
    const config = parse(
      'policy: p\ntargets:\n  - { name: a, kind: sql }\n  - { name: b, kind: sql, connector: { type: mysql, url: env:B } }\n  - { name: c, kind: sql, dialect: mysql }\n  - { name: d, kind: sql, dialect: postgresql, connector: { type: postgres, url: env:D } }\n  - { name: e, kind: shell }\n',
    )
    assert.deepEqual(config.targets.map((t) => t.dialect), ['postgresql', 'mysql', 'mysql', 'postgresql', undefined])
  })
})

describe('config validation', () => {
  for (const broken of BROKEN) {
    it(`reports ${broken.name} with its location`, () => {
      const [first] = problems(broken.text)
      assert.ok(first)
      assert.match(first.message, broken.message)
      assert.equal(first.file, 'countersign.yaml')
      assert.equal(first.line, broken.line, `line of: ${first.message}`)
      if ('column' in broken) assert.equal(first.column, broken.column, `column of: ${first.message}`)
    })
  }

  it('reports every problem at once, in file order, with paths', () => {
    const details = problems('server: { listen: nowhere }\npolicy: p\ntargets:\n  - { name: db, kind: sequel }\nidentities:\n  admins: [root]\n')
    assert.deepEqual(
      details.map((detail) => [detail.line, detail.path]),
      [
        [1, 'server.listen'],
        [4, 'targets[0].kind'],
        [6, 'identities.admins[0]'],
      ],
    )
  })

  it('reports rules between keys together with the keys’ own problems', () => {
    const details = problems('policy: p\nstore: { data_dir: "", database_url: "mysql://x" }\nchannels:\n  slack: { bot_token: plain, team_id: T0123 }\n')
    assert.deepEqual(details.map((detail) => detail.path).sort(), [
      'channels.slack.bot_token',
      'channels.slack.signing_secret',
      'store.data_dir',
      'store.database_url',
      'store.database_url',
    ])
  })

  it('names the count of problems in the error message', () => {
    assert.throws(() => parse('policy: 1\nfoo: 1\nbar: 2\n'), { code: 'INVALID', message: 'countersign.yaml: 3 problems' })
    assert.throws(() => parse('foo: 1\npolicy: p\n'), { code: 'INVALID', message: 'countersign.yaml: invalid config' })
  })
})

describe('duplicates', () => {
  const DUPLICATES = [
    {
      name: 'two humans with one email, in different case',
      text: 'policy: p\nidentities:\n  humans:\n    - email: alice@example.com\n    - email: Alice@Example.com\n',
      line: 5,
      message: /duplicate human email "Alice@Example.com" \(first at identities.humans\[0\]\)/,
    },
    {
      name: 'two agents with one id',
      text: 'policy: p\nidentities:\n  agents:\n    - { id: bot, owner: a@example.com }\n    - { id: BOT, owner: b@example.com }\n',
      line: 5,
      message: /duplicate agent id "BOT" \(first at identities.agents\[0\]\)/,
    },
    {
      name: 'two targets with one name',
      text: 'policy: p\ntargets:\n  - { name: db, kind: sql }\n  - { name: db, kind: shell }\n',
      line: 4,
      message: /duplicate target name "db" \(first at targets\[0\]\)/,
    },
    {
      name: 'a token hash held by a human and an agent',
      text: `policy: p\nidentities:\n  humans: [{ email: a@example.com, token_sha256: [${HASH_A}] }]\n  agents: [{ id: bot, owner: a@example.com, token_sha256: [${HASH_B}, ${HASH_A.toUpperCase()}] }]\n`,
      line: 4,
      message: /token hash is already used at identities.humans\[0\].token_sha256\[0\]/,
    },
    {
      name: 'a token hash listed twice for one human',
      text: `policy: p\nidentities:\n  humans: [{ email: a@example.com, token_sha256: [${HASH_A}, ${HASH_A}] }]\n`,
      line: 3,
      message: /token hash is already used/,
    },
  ] as const
  for (const duplicate of DUPLICATES) {
    it(`refuses ${duplicate.name}`, () => {
      const details = problems(duplicate.text)
      assert.equal(details.length, 1, details.map((detail) => detail.message).join('\n'))
      assert.match(details[0]!.message, duplicate.message)
      assert.equal(details[0]!.line, duplicate.line)
    })
  }

  it('reports duplicates even when other entries are invalid', () => {
    const details = problems('policy: p\ntargets:\n  - { name: db, kind: sql }\n  - { name: db, kind: nope }\n')
    assert.deepEqual(details.map((detail) => detail.path).sort(), ['targets[1].kind', 'targets[1].name'])
  })
})

describe('configFromObject', () => {
  it('validates an in-memory config through the same schema', () => {
    const config = configFromObject(
      { policy: 'policy.yaml', store: { data_dir: 'data' }, identities: { agents: [{ id: 'demo-agent', owner: 'Demo@Example.com' }] } },
      { baseDir: '/tmp/quickstart' },
    )
    assert.equal(config.policy, '/tmp/quickstart/policy.yaml')
    assert.deepEqual(config.store, { kind: 'embedded', data_dir: '/tmp/quickstart/data' })
    assert.equal(config.identities.agents[0]?.owner, 'demo@example.com')
    assert.equal(config.file, undefined)
    assert.ok(Object.isFrozen(config.identities.agents[0]))
  })

  it('reports problems by path, with unknown keys and missing keys named', () => {
    assert.throws(
      () => configFromObject({ policy: 'p', sever: {}, targets: [{ kind: 'sql' }] }, { baseDir: '/tmp' }),
      (error: CountersignError) => {
        assert.deepEqual(
          error.details.map((detail) => [detail.path, detail.message, detail.line]).sort(),
          [
            ['sever', 'unknown key "sever" (did you mean "server"?)', undefined],
            ['targets[0].name', 'missing required key "name"', undefined],
          ],
        )
        return true
      },
    )
  })

  it('never freezes the caller’s objects', () => {
    const connector = { type: 'http', headers: { accept: 'application/json' } }
    const raw = { policy: 'p', targets: [{ name: 'api', kind: 'http', connector }] }
    const config = configFromObject(raw, { baseDir: '/tmp' })
    assert.ok(Object.isFrozen(config.targets[0]?.connector))
    assert.ok(!Object.isFrozen(raw) && !Object.isFrozen(connector) && !Object.isFrozen(connector.headers))
  })
})
