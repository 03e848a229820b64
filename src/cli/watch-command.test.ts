import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, it } from 'node:test'
import { ApiClient } from './http-client.js'
import type { CliIo } from './io.js'
import { cliAgainst, startStandIn, type StandIn } from './test-api-stand-in.js'
import { watchActions, type WatchOptions } from './watch-command.js'

describe('countersign watch', () => {
  let standIn: StandIn
  before(async () => (standIn = await startStandIn()))
  after(() => standIn.close())
  beforeEach(() => {
    standIn.actions.clear()
    standIn.requests.length = 0
  })

  /** Starts a watch; `output()` is what it printed so far, `stop()` aborts it and waits for it to end. */
  function watch(options: Omit<WatchOptions, 'signal'>) {
    const controller = new AbortController()
    let stdout = ''
    let stderr = ''
    const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env: {}, cwd: process.cwd() }
    const done = watchActions(new ApiClient(standIn.url, standIn.token), io, { intervalMs: 5, ...options, signal: controller.signal })
    return {
      output: () => stdout,
      errors: () => stderr,
      until: async (test: (output: string) => boolean) => {
        while (!test(stdout)) {
          await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 5))])
        }
      },
      stop: async () => {
        controller.abort()
        await done
      },
    }
  }

  it('outside a terminal prints one line per new or changed action, and stops on abort', async () => {
    const first = standIn.add()
    const feed = watch({ filter: { status: 'pending' }, terminal: { isTTY: false } })
    await feed.until((output) => output.includes(first.id))
    const second = standIn.add()
    await feed.until((output) => output.includes(second.id))
    standIn.change(first.id, { status: 'approved' })
    await feed.until((output) => output.includes(`${first.id}  approved`))
    await feed.stop()
    const lines = feed.output().trimEnd().split('\n')
    assert.deepEqual(
      lines.map((line) => line.split('  ').slice(1, 3)),
      [
        [first.id, 'pending'],
        [second.id, 'pending'],
        [first.id, 'approved'],
      ],
    )
    assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}act_\w{26} {2}pending {2}deploy-bot {2}prod-db {2}sql {2}DELETE on users/)
    assert.equal(standIn.requests[0]?.query.get('status'), 'pending')
    const asked = standIn.requests.length
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(standIn.requests.length, asked, 'no request after the watch stopped')
  })

  it('prints one JSON line per change with --json', async () => {
    const action = standIn.add()
    const feed = watch({ terminal: { isTTY: false }, json: true })
    await feed.until((output) => output.includes('\n'))
    await feed.stop()
    assert.equal((JSON.parse(feed.output().trimEnd()) as { id: string }).id, action.id)
  })

  it('in a terminal clears the screen, draws the table, and redraws it in place on a change', async () => {
    const action = standIn.add()
    const screen = watch({ terminal: { isTTY: true, columns: 100, rows: 30 } })
    await screen.until((output) => output.includes(action.id))
    assert.ok(screen.output().startsWith('\x1b[H\x1b[2J'))
    assert.match(screen.output(), /countersign watch: http:\/\/127\.0\.0\.1:\d+ {2}\(Ctrl-C to stop\)/)
    const drawn = screen.output().length
    standIn.change(action.id, { status: 'denied' })
    await screen.until((output) => output.slice(drawn).includes('denied'))
    await screen.stop()
    const redraw = screen.output().slice(drawn)
    assert.ok(redraw.startsWith('\x1b[H'))
    assert.ok(redraw.endsWith('\x1b[J'))
    for (const line of redraw.split('\n')) assert.ok(line.replace(/\x1b\[[HJK]|\x1b\[2J/g, '').length <= 100)
  })

  it('keeps retrying while the gateway is unreachable, saying so once', async () => {
    const action = standIn.add()
    const feed = watch({ terminal: { isTTY: false } })
    await feed.until((output) => output.includes(action.id))
    standIn.refuseWith = { status: 503, code: 'INTERNAL', detail: 'the gateway could not complete the request' }
    try {
      const before = standIn.requests.length
      while (standIn.requests.length < before + 3) await new Promise((resolve) => setTimeout(resolve, 5))
    } finally {
      standIn.refuseWith = undefined
    }
    await feed.stop()
    assert.equal(feed.errors(), 'countersign: the gateway could not complete the request; retrying every 0.005s\n')
  })

  it('ends with the error when the gateway does not answer the first listing', async () => {
    const controller = new AbortController()
    const io: CliIo = { stdout: () => undefined, stderr: () => undefined, env: {}, cwd: process.cwd() }
    await assert.rejects(watchActions(new ApiClient('http://127.0.0.1:9', standIn.token), io, { signal: controller.signal, terminal: { isTTY: false } }), /cannot reach Countersign at http:\/\/127\.0\.0\.1:9: /)
  })

  it('ends with the error when the token is refused', async () => {
    const controller = new AbortController()
    const io: CliIo = { stdout: () => undefined, stderr: () => undefined, env: {}, cwd: process.cwd() }
    await assert.rejects(watchActions(new ApiClient(standIn.url, 'cs_user_wrongwrongwrongwrongwrongwrongwrong'), io, { signal: controller.signal, terminal: { isTTY: false } }), { code: 'UNAUTHENTICATED' })
  })

  it('refuses an unknown status with exit 2, sending nothing', async () => {
    const result = await cliAgainst(standIn, ['watch', '--status', 'waiting'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /--status: unknown status "waiting"/)
    assert.equal(standIn.requests.length, 0)
  })
})
