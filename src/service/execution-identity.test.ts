import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { PEOPLE, testGateway, type TestGateway } from '../server/test-gateway.js'
import { testStores, TEST_POSTGRES_URL } from '../store/connection/index.js'

/** Every write needs one on-call human; a `SELECT` runs at once. */
const POLICY = `
version: 1
default: review
default_review: { approvers: [group:dba], min_approvals: 2, timeout: 1h, execute_within: 10m }
rules:
  - id: reads-run-alone
    match: { kind: sql }
    when: 'sql.read_only'
    effect: allow
`

const database = `cs_identity_${randomBytes(5).toString('hex')}`
const urlOf = (db: string) => {
  const url = new URL(TEST_POSTGRES_URL)
  url.pathname = `/${db}`
  return url.href
}
const envName = `CS_IDENTITY_DB_${randomBytes(4).toString('hex').toUpperCase()}`
process.env[envName] = urlOf(database)

/** A trigger that records what the writing session says about itself, as a DBA would install it. */
const AUDIT_TRIGGER = `
CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
INSERT INTO accounts VALUES (1, 100);
CREATE TABLE account_audit (
  request_id text, agent text, on_behalf_of text, approvers text, application_name text, policy_version text, trace_id text
);
CREATE FUNCTION record_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_audit VALUES (
    current_setting('countersign.request_id', true), current_setting('countersign.agent', true),
    current_setting('countersign.on_behalf_of', true), current_setting('countersign.approvers', true),
    current_setting('application_name'), current_setting('countersign.policy_version', true), current_setting('countersign.trace_id', true));
  RETURN NEW;
END $$;
CREATE TRIGGER accounts_identity AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION record_identity();
`

const store = testStores().find((candidate) => candidate.name === 'pglite')!

describe('identity at execution, end to end through the gateway', () => {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL })
  let db: pg.Client
  let gw: TestGateway
  let drop: () => Promise<void>
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((request, response) => {
    seen.push(request.headers)
    request.resume()
    request.on('end', () => response.end('ok'))
  })

  before(async () => {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`)
    db = new pg.Client({ connectionString: urlOf(database) })
    await db.connect()
    await db.query(AUDIT_TRIGGER)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const connection = await store.open()
    drop = connection.drop
    gw = await testGateway(connection, {
      policy: POLICY,
      targets: [
        { name: 'ledger-db', kind: 'sql', connector: { type: 'postgres', url: `env:${envName}`, statement_timeout: '20s' } },
        { name: 'plain-db', kind: 'sql', connector: { type: 'postgres', url: `env:${envName}`, statement_timeout: '20s', identity: false } },
        { name: 'ops-shell', kind: 'shell', connector: { type: 'shell', timeout: '20s', run_as_gateway_user: true, sandbox: 'off' } },
        { name: 'ops-api', kind: 'http', connector: { type: 'http', base_url: `http://127.0.0.1:${port}/`, timeout: '20s' } },
      ],
    })
  })

  after(async () => {
    await gw?.close()
    await drop?.()
    server.close()
    await db?.end()
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await admin.end()
  })

  /** Submits as deploy-bot on behalf of dave, has alice then bob approve, and waits for the result. */
  async function approved(action: Record<string, unknown>, trace_id?: string): Promise<any> {
    const body = { ...action, context: { reason: 'identity test', on_behalf_of: PEOPLE.dave, ...(trace_id && { trace_id }) } }
    const submitted = (await gw.call('POST', '/v1/actions', { as: 'deployBot', body })).body
    assert.equal(submitted.status, 'pending', JSON.stringify(submitted))
    assert.equal((await gw.call('POST', `/v1/actions/${submitted.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })).status, 200)
    assert.equal((await gw.call('POST', `/v1/actions/${submitted.id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'ok' } })).status, 200)
    const done = (await gw.call('GET', `/v1/actions/${submitted.id}?wait=20`, { as: 'deployBot' })).body
    assert.equal(done.status, 'succeeded', JSON.stringify(done.result))
    return done
  }

  it("a PostgreSQL trigger on the written table records the request, agent, on-behalf-of, approvers and application_name", async () => {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const done = await approved({ kind: 'sql', target: 'ledger-db', payload: { sql: 'UPDATE accounts SET balance = balance - 10 WHERE id = 1; UPDATE accounts SET balance = balance + 1 WHERE id = 1' } }, `00-${trace}-00f067aa0ba902b7-01`)
    const rows = (await db.query('SELECT * FROM account_audit WHERE request_id = $1', [done.id])).rows
    assert.equal(rows.length, 2, 'each statement of the action saw the identity')
    for (const row of rows) {
      assert.deepEqual(row, {
        request_id: done.id,
        agent: 'deploy-bot',
        on_behalf_of: PEOPLE.dave,
        approvers: `${PEOPLE.alice},${PEOPLE.bob}`,
        application_name: 'countersign/deploy-bot',
        policy_version: gw.policy.current.version,
        trace_id: trace,
      })
    }
    assert.equal(done.result.trace_id, trace, 'the result records the trace id it carried')
  })

  it('sets nothing on a target whose connector says identity: false', async () => {
    const done = await approved({ kind: 'sql', target: 'plain-db', payload: { sql: 'UPDATE accounts SET balance = balance + 1 WHERE id = 1' } })
    const rows = (await db.query('SELECT * FROM account_audit WHERE application_name = $1', ['countersign'])).rows
    assert.equal(rows.length, 1)
    assert.equal(rows[0].request_id, null)
    assert.match(done.result.trace_id, /^[0-9a-f]{32}$/, 'a new trace id is recorded when the action named none')
  })

  it('refuses an action that sets an identity setting itself, before anything runs', async () => {
    const submitted = (await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'ledger-db', payload: { sql: "SELECT set_config('countersign.agent', 'alice', true); UPDATE accounts SET balance = 0 WHERE id = 1" }, context: { reason: 'spoof' } } })).body
    await gw.call('POST', `/v1/actions/${submitted.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'ok' } })
    await gw.call('POST', `/v1/actions/${submitted.id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'ok' } })
    const done = (await gw.call('GET', `/v1/actions/${submitted.id}?wait=20`, { as: 'deployBot' })).body
    assert.equal(done.status, 'failed')
    assert.match(done.result.error, /countersign\.agent \(set_config\), which the connector pins/)
    assert.equal((await db.query('SELECT balance FROM accounts WHERE id = 1')).rows[0].balance !== '0', true)
  })

  it('a shell target prints the COUNTERSIGN_* environment', async () => {
    const done = await approved({ kind: 'shell', target: 'ops-shell', payload: { command: 'env | grep ^COUNTERSIGN_ | sort' } })
    assert.equal(
      done.result.stdout,
      [`COUNTERSIGN_AGENT=deploy-bot`, `COUNTERSIGN_APPROVERS=${PEOPLE.alice},${PEOPLE.bob}`, `COUNTERSIGN_ON_BEHALF_OF=${PEOPLE.dave}`, `COUNTERSIGN_REQUEST_ID=${done.id}`, ''].join('\n'),
    )
  })

  it('an HTTP target gets Countersign-* headers and a traceparent of the trace the result records', async () => {
    seen.length = 0
    const done = await approved({ kind: 'http', target: 'ops-api', payload: { method: 'POST', url: '/deploy', body: { version: 2 } } })
    assert.equal(seen.length, 1)
    const headers = seen[0]!
    assert.equal(headers['countersign-request-id'], done.id)
    assert.equal(headers['countersign-agent'], 'deploy-bot')
    assert.equal(headers['countersign-on-behalf-of'], PEOPLE.dave)
    assert.equal(headers['countersign-approvers'], `${PEOPLE.alice},${PEOPLE.bob}`)
    assert.match(String(headers['traceparent']), new RegExp(`^00-${done.result.trace_id}-[0-9a-f]{16}-01$`))
  })
})
