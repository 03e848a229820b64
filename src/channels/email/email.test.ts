import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { testGateway, type TestGateway } from '../../server/test-gateway.js'
import { testStores } from '../../store/connection/index.js'
import { until } from '../test-support.js'

const MIN = 60_000
const POLICY = `
version: 1
default: deny
rules:
  - id: shell-review
    match: { kind: shell }
    effect: review
    review: { approvers: [group:dba], timeout: 1h, remind_after: 10m, channels: ["email:dba-team@example.com"] }
`

/** A real SMTP server in the test process, keeping every message it receives, parsed. */
async function startSmtp(): Promise<{ port: number; mails: { envelope: string[]; mail: ParsedMail }[]; close(): Promise<void> }> {
  const mails: { envelope: string[]; mail: ParsedMail }[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push({ envelope: session.envelope.rcptTo.map((rcpt) => rcpt.address), mail })
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.server.address() as AddressInfo).port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

const store = testStores()[0]!
describe('the email channel, against a real SMTP server', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>
  let gw: TestGateway
  let drop: () => Promise<void>
  before(async () => {
    smtp = await startSmtp()
    const connection = await store.open()
    drop = connection.drop
    gw = await testGateway(connection, {
      policy: POLICY,
      now: new Date('2026-12-07T02:00:00Z'),
      channels: { email: { smtp: { host: '127.0.0.1', port: smtp.port }, from: 'Countersign <countersign@example.com>' } },
      assemble: { channels: { pollMs: 50, retryBaseMs: 100, maxRetryMs: 1_000 } },
    })
  })
  after(async () => {
    await gw.close()
    await smtp.close()
    await drop()
  })

  it('mails the named address and each eligible approver (never the requester) what chat shows, with the console link and no way to approve by mail', async () => {
    const command = 'systemctl restart app && echo "<script>alert(1)</script>"\u202e'
    const submitted = await gw.call('POST', '/v1/actions', { as: 'analyticsAgent', body: { kind: 'shell', target: 'build-host', payload: { command }, context: { reason: 'deploy 42', model: 'claude' } } })
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body))
    const id = submitted.body.id as string
    await until(() => smtp.mails.length >= 3, 'three mails')
    // alice owns analytics-agent: a requester is never asked. bob and erin are the other DBAs.
    assert.deepEqual(smtp.mails.map((mail) => mail.envelope[0]).sort(), ['bob@example.com', 'dba-team@example.com', 'erin@example.com'])
    const { mail } = smtp.mails.find((item) => item.envelope[0] === 'bob@example.com')!
    assert.equal(mail.subject, `Approval needed: shell on build-host (staging) (${id})`)
    assert.equal(mail.from?.value[0]?.address, 'countersign@example.com')
    assert.equal(mail.headers.get('x-countersign-action'), id)
    const text = mail.text ?? ''
    assert.ok(text.includes('systemctl restart app && echo "<script>alert(1)</script>"\\u{202E}'), 'the full command, invisible characters escaped')
    assert.match(text, /Agent: analytics-agent/)
    assert.match(text, /Owner: alice@example\.com/)
    assert.match(text, /Reason: deploy 42/)
    assert.match(text, /Model: claude/)
    assert.match(text, /Impact: /)
    assert.match(text, /Matched rules: shell-review/)
    assert.match(text, /1 approval from group:dba \(rule shell-review\): 0 so far/)
    assert.ok(text.includes(`https://countersign.test/actions/${id}`))
    const htmlBody = String(mail.html)
    assert.ok(!htmlBody.includes('<script>'), 'the HTML escapes what the agent sent')
    assert.ok(htmlBody.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
    assert.ok(htmlBody.includes(`href="https://countersign.test/actions/${id}"`))
    assert.ok(!/<form|<button|mailto:/i.test(htmlBody), 'no approval path in the mail itself')

    // A reminder is a new mail in the same thread, to the same people.
    const first = smtp.mails.length
    gw.advance(10 * MIN)
    assert.equal((await gw.gateway.routeDue()).steps, 1)
    await until(() => smtp.mails.length >= first + 3, 'three reminder mails')
    const reminder = smtp.mails.slice(first).find((item) => item.envelope[0] === 'bob@example.com')!.mail
    assert.equal(reminder.subject, `Reminder 1: Approval needed: shell on build-host (staging) (${id})`)
    assert.equal(reminder.inReplyTo, mail.messageId)
    assert.match(reminder.text ?? '', /still needs approval from group:dba/)
  })
})
