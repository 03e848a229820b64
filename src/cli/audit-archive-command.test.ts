import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { RunningGateway } from '../server/index.js'
import type { TestConfigFile } from '../server/test-process.js'
import { cliAgainst } from './test-api-stand-in.js'
import { startTestGatewayOnPostgres, type RunningTestGateway } from './test-running-gateway.js'

describe('countersign audit archive against a running gateway on PostgreSQL', () => {
  let config: TestConfigFile
  let gateway: RunningGateway
  let running: RunningTestGateway
  const as = (token: string, argv: string[]) => cliAgainst({ url: gateway.url, token }, argv)

  before(async () => {
    running = await startTestGatewayOnPostgres('cs_retention')
    ;({ config, gateway } = running)
  })
  after(() => running.close())

  it('archives through the newest checkpoint, prunes, and both the store and the archive verify', async () => {
    for (let n = 0; n < 3; n += 1) assert.equal((await as(config.tokens.agent, ['submit', '--target', 'prod-db', '--sql', 'DROP TABLE users'])).code, 11)
    const checkpoint = await gateway.auditLog.checkpoint()
    assert.ok(checkpoint)
    const out = join(dirname(config.file), 'audit-old.jsonl')

    const archived = await as(config.tokens.alice, ['audit', 'archive', '--config', config.file, '--before', '2100-01-01T00:00:00Z', '--out', out, '--prune'])
    assert.equal(archived.code, 0, archived.stderr)
    assert.match(archived.stdout, new RegExp(`^archived events 1–${checkpoint.seq} \\(${checkpoint.seq}\\) through the checkpoint of .* \\(sha256 [0-9a-f]{64}\\)\\npruned them from the store: the log now starts after event ${checkpoint.seq}\\n$`))
    assert.ok(readFileSync(out, 'utf8').startsWith('{"format":"countersign-audit-archive/1"'))

    const online = await as(config.tokens.alice, ['audit', 'verify'])
    assert.equal(online.code, 0, online.stdout)
    assert.match(online.stdout, /^audit chain OK: 1 event,/)
    const offline = await as(config.tokens.alice, ['audit', 'verify', '--config', config.file])
    assert.equal(offline.code, 0, offline.stdout)
    const alone = await as(config.tokens.alice, ['audit', 'verify', '--file', out])
    assert.equal(alone.code, 0, alone.stdout)
    assert.match(alone.stdout, new RegExp(`^audit chain OK: ${checkpoint.seq} events`))

    // Nothing after the cut within --before (a tree size): refused, with the reason, and no file left.
    const again = await as(config.tokens.alice, ['audit', 'archive', '--config', config.file, '--before', String(checkpoint.seq), '--out', `${out}.2`])
    assert.notEqual(again.code, 0)
    assert.match(again.stderr, /nothing to archive/)
    assert.equal(existsSync(`${out}.2`), false)
    // An existing archive is never overwritten.
    await gateway.auditLog.checkpoint()
    const overwrite = await as(config.tokens.alice, ['audit', 'archive', '--config', config.file, '--before', '2100-01-01T00:00:00Z', '--out', out])
    assert.notEqual(overwrite.code, 0)
  })
})
