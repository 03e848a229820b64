import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { CountersignError } from '../errors/index.js'
import { configFromObject, parseConfig, resolveSecret, type SecretRef } from './index.js'

const BASE = '/srv/countersign'
const SECRET = 'hunter2-s3cr3t-value'

/** Every word a config's error could say, to check that a secret is never among them. */
function errorText(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof CountersignError, String(error))
    return [error.message, ...error.details.map((detail) => `${detail.path ?? ''} ${detail.message}`)].join('\n')
  }
  assert.fail('accepted')
}

function parse(text: string) {
  return parseConfig(text, { file: 'countersign.yaml', baseDir: BASE })
}

/** Every place a secret goes, written with a value instead of a reference. */
const INLINE = [
  { name: 'the Slack bot token', text: `channels:\n  slack: { bot_token: ${SECRET}, signing_secret: env:S, team_id: T0123 }`, path: 'channels.slack.bot_token' },
  { name: 'the Slack signing secret', text: `channels:\n  slack: { bot_token: env:B, signing_secret: ${SECRET}, team_id: T0123 }`, path: 'channels.slack.signing_secret' },
  { name: 'the Slack app token', text: `channels:\n  slack: { bot_token: env:B, team_id: T0123, socket_mode: { app_token: ${SECRET} } }`, path: 'channels.slack.socket_mode.app_token' },
  {
    name: 'the Teams app password',
    text: `channels:\n  teams: { app_id: 00000000-0000-0000-0000-000000000000, app_password: ${SECRET}, tenant_id: 11111111-1111-1111-1111-111111111111 }`,
    path: 'channels.teams.app_password',
  },
  { name: 'a webhook secret', text: `channels:\n  webhooks: [{ url: "https://h.example.com", secret: ${SECRET} }]`, path: 'channels.webhooks[0].secret' },
  { name: 'the audit signing key', text: `audit: { signing_key: ${SECRET} }`, path: 'audit.signing_key' },
  { name: 'a connector URL', text: `targets: [{ name: db, kind: sql, connector: { type: postgres, url: "postgres://app:${SECRET}@db/x" } }]`, path: 'targets[0].connector.url' },
  { name: 'a connector password', text: `targets: [{ name: db, kind: sql, connector: { type: mysql, host: db, password: ${SECRET} } }]`, path: 'targets[0].connector.password' },
  { name: 'a nested connector key', text: `targets: [{ name: h, kind: shell, connector: { type: ssh, auth: { private_key: ${SECRET} } } }]`, path: 'targets[0].connector.auth.private_key' },
  { name: 'a connector API token', text: `targets: [{ name: gh, kind: mcp, connector: { type: mcp, api_token: ${SECRET} } }]`, path: 'targets[0].connector.api_token' },
] as const

describe('secrets in the config', () => {
  for (const inline of INLINE) {
    it(`refuses an inline value for ${inline.name}, without repeating it`, () => {
      const text = errorText(() => parse(`policy: p\n${inline.text}\n`))
      assert.match(text, /secrets are referenced \(env:NAME or file:PATH\), never inlined/)
      assert.ok(text.includes(inline.path), text)
      assert.ok(!text.includes(SECRET), `the secret leaked into: ${text}`)
    })
  }

  for (const [name, url] of [
    ['in its user part', `postgres://app:${SECRET}@db.internal:5432/countersign`],
    ['as a query parameter', `postgresql://app@db.internal/countersign?password=${SECRET}`],
  ] as const) {
    it(`refuses a literal database URL with a password ${name}, telling to use env: or file:`, () => {
      const text = errorText(() => parse(`policy: p\nstore: { database_url: "${url}" }\n`))
      assert.match(text, /a database URL with a password is a secret .* write env:NAME or file:PATH/)
      assert.ok(!text.includes(SECRET), `the secret leaked into: ${text}`)
    })
  }

  it('accepts a literal database URL without a password', () => {
    const config = parse('policy: p\nstore: { database_url: "postgres://countersign@127.0.0.1:5432/countersign?sslmode=disable" }\n')
    assert.deepEqual(config.store, { kind: 'postgres', database_url: 'postgres://countersign@127.0.0.1:5432/countersign?sslmode=disable', pool_size: 10 })
  })

  it('turns connector credentials into references and keeps other options as written', () => {
    const config = parse('policy: p\ntargets:\n  - name: db\n    kind: sql\n    connector: { type: postgres, url: "file:../db.url", host_hint: db.internal, port: 5432, tls: { ca: x } }\n')
    assert.deepEqual(config.targets[0]?.connector, {
      type: 'postgres',
      url: { kind: 'file', path: '/srv/db.url', ref: 'file:../db.url' },
      host_hint: 'db.internal',
      port: 5432,
      tls: { ca: 'x' },
    })
  })

  it('never repeats an inline value, whatever it is', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 12, maxLength: 60 }).filter((value) => !value.startsWith('env:') && !value.startsWith('file:')),
        (value) => {
          const raw = { policy: 'p', channels: { slack: { bot_token: value, signing_secret: value, team_id: 'T0123' } }, audit: { signing_key: value } }
          const text = errorText(() => configFromObject(raw, { baseDir: BASE }))
          return !text.includes(value)
        },
      ),
    )
  })
})

describe('resolveSecret', () => {
  const env = (name: string): SecretRef => ({ kind: 'env', name, ref: `env:${name}` })
  const file = (path: string): SecretRef => ({ kind: 'file', path, ref: `file:${path}` })

  it('reads an environment variable', () => {
    assert.equal(resolveSecret(env('SLACK_BOT_TOKEN'), { SLACK_BOT_TOKEN: 'xoxb-1' }), 'xoxb-1')
  })

  it('names the reference, never a value, when a variable is missing or empty', () => {
    assert.throws(() => resolveSecret(env('SLACK_BOT_TOKEN'), { OTHER: SECRET }), {
      code: 'INVALID',
      message: 'secret env:SLACK_BOT_TOKEN: the environment variable SLACK_BOT_TOKEN is not set',
    })
    assert.throws(() => resolveSecret(env('EMPTY'), { EMPTY: '' }), { code: 'INVALID', message: /env:EMPTY: .* is empty/ })
  })

  it('reads a file, dropping one trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-secret-'))
    writeFileSync(join(dir, 'one'), `${SECRET}\n`)
    writeFileSync(join(dir, 'two'), 'line one\nline two\n\n')
    writeFileSync(join(dir, 'crlf'), `${SECRET}\r\n`)
    assert.equal(resolveSecret(file(join(dir, 'one'))), SECRET)
    assert.equal(resolveSecret(file(join(dir, 'two'))), 'line one\nline two\n')
    assert.equal(resolveSecret(file(join(dir, 'crlf'))), SECRET)
  })

  it('reads a file named relative to the config file when the config was loaded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-secret-'))
    writeFileSync(join(dir, 'signing.key'), 'key-material\n')
    const config = parseConfig('policy: p\naudit: { signing_key: "file:signing.key" }\n', { baseDir: dir })
    assert.equal(resolveSecret(config.audit.signing_key!), 'key-material')
  })

  it('names the reference and the path when a file cannot be read or is empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-secret-'))
    writeFileSync(join(dir, 'empty'), '\n')
    assert.throws(() => resolveSecret(file(join(dir, 'missing'))), { code: 'INVALID', message: `secret file:${join(dir, 'missing')}: cannot read ${join(dir, 'missing')}: no such file` })
    assert.throws(() => resolveSecret(file(dir)), { code: 'INVALID', message: /it is a directory/ })
    assert.throws(() => resolveSecret(file(join(dir, 'empty'))), { code: 'INVALID', message: /is empty$/ })
  })
})
