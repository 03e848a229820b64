import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { parse as parseYaml } from 'yaml'
import { configFromObject, parseConfig } from '../../config/index.js'
import { CountersignError } from '../../errors/index.js'

const TEAMS = (extra: string) =>
  `policy: p\nchannels:\n  teams:\n    app_id: 00000000-0000-0000-0000-000000000001\n    app_password: env:TEAMS_APP_PASSWORD\n    tenant_id: 11111111-1111-1111-1111-111111111111\n    channels: { dba-team: "19:abc@thread.tacv2" }\n${extra}`
const parse = (text: string) => parseConfig(text, { file: 'countersign.yaml', baseDir: '/srv/countersign' })

describe('channels.teams', () => {
  it('points at the Bot Framework and the Microsoft identity platform unless told otherwise', () => {
    const teams = parse(TEAMS('')).channels.teams!
    assert.equal(teams.openid_metadata, 'https://login.botframework.com/v1/.well-known/openidconfiguration')
    assert.equal(teams.login_url, 'https://login.microsoftonline.com/')
    assert.equal(teams.dm_approvers, false)
    assert.deepEqual(teams.allowed_domains, [])
    assert.equal(teams.default_channel, undefined)
  })

  it('takes a default channel only from the names it maps', () => {
    assert.equal(parse(TEAMS('    default_channel: dba-team\n')).channels.teams?.default_channel, 'dba-team')
    assert.throws(
      () => parse(TEAMS('    default_channel: approvals\n')),
      (error: unknown) => error instanceof CountersignError && error.details.some((detail) => detail.path === 'channels.teams.default_channel' && /one of the names under channels \(dba-team\)/.test(detail.message)),
    )
  })

  it('accepts the configuration docs/teams.md shows', () => {
    const page = readFileSync(new URL('../../../docs/teams.md', import.meta.url), 'utf8')
    const yaml = /```yaml\n([\s\S]*?)```/.exec(page)?.[1]
    assert.ok(yaml, 'docs/teams.md shows a Teams configuration')
    const config = configFromObject({ policy: 'p', ...(parseYaml(yaml) as Record<string, unknown>) }, { baseDir: '/srv/countersign' })
    assert.equal(config.channels.teams?.default_channel, 'approvals')
  })
})
