import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { canonicalJson } from '../action/index.js'
import { parseWitnessKey } from '../audit/index.js'
import { AuditLog, planArchive, pruneArchived, writeArchive } from '../service/index.js'
import { testStores } from '../store/connection/index.js'
import { selectAuditBase, webhookEndpointId, WebhookCursorStore } from '../store/index.js'
import { h, headOf, rfcConsistency, rfcInclusion } from './test-rfc9162-verifier.js'
import { auditSignerFor } from './signing-key.js'
import type { Person, TestGateway } from './test-gateway.js'
import { startWitnessedGateway, type WitnessedGateway } from './test-witnessed-gateway.js'

const WITNESS = 'witness.retention.example.com'

/** The tampering: a stored event whose text now says it came through another channel. */
function rechanneled<T extends { event: string }>(row: T): T {
  return { ...row, event: canonicalJson({ ...JSON.parse(row.event), channel: 'console' }) }
}

for (const store of testStores()) {
  describe(`audit retention on ${store.name}`, () => {
    let gw: TestGateway
    let url: string
    let state: string
    let outside: string
    let served: WitnessedGateway

    before(async () => {
      served = await startWitnessedGateway(store, WITNESS)
      ;({ gw, url, state, outside } = served)
    })
    after(() => served.close())

    const cli = (argv: string[], as: Person = 'alice') => served.cli(argv, as)
    const witness = async () => {
      const round = await cli(['audit', 'witness', '--log', url, '--state', state], 'deployBot')
      assert.equal(round.code, 0, round.stdout + round.stderr)
    }
    const submit = async (sqlText: string) => {
      const response = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: sqlText } } })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body as { id: string; status: string }
    }
    /** An action that ends (cancelled by its agent before running): nothing of it stays open. */
    const finished = async (sqlText: string) => {
      const action = await submit(sqlText)
      const cancelled = await gw.call('POST', `/v1/actions/${action.id}/cancel`, { as: 'deployBot', body: {} })
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body))
    }
    const newestNote = async () => (await gw.call('GET', '/v1/audit/checkpoints?limit=1', { as: 'deployBot' })).body.checkpoints.at(-1).note as string
    const rules = () => ({ witnesses: gw.config.audit.witnesses.map((text) => parseWitnessKey(text)), witnessQuorum: 1 })
    const archive = async (file: string) => {
      const plan = await planArchive(gw.store, { before: new Date('2100-01-01T00:00:00Z'), ...rules() })
      let text = ''
      const written = await writeArchive(gw.store, plan, [auditSignerFor(gw.config).publicKey], (line) => {
        text += line
      })
      writeFileSync(join(outside, file), text)
      return written
    }

    it('archives and prunes up to a cosigned checkpoint, never an open action, and the rest still verifies and proves', async () => {
      for (let n = 0; n < 5; n += 1) await finished(`SELECT ${n}`)
      assert.ok(await gw.auditLog.checkpoint())
      await witness()
      const archived = headOf(await newestNote())
      // An action left pending after the first cosigned head: its events must stay.
      const pending = await submit('DELETE FROM sessions WHERE user_id = 42')
      assert.equal(pending.status, 'pending')
      await finished('SELECT 6')
      assert.ok(await gw.auditLog.checkpoint())
      // Not cosigned yet: the cut cannot pass it, whatever --before says.
      await assert.rejects(planArchive(gw.store, { before: new Date('2100-01-01T00:00:00Z'), witnesses: rules().witnesses, witnessQuorum: 2 }), /nothing to archive/)

      const written = await archive('first.jsonl')
      assert.equal(written.plan.checkpoint.seq, archived.size)
      await pruneArchived(gw.store, written)
      const remaining = (await gw.call('GET', '/v1/audit?limit=100', { as: 'alice' })).body.events as { seq: number; event: Record<string, unknown> }[]
      assert.equal(remaining[0]!.seq, archived.size + 1)
      assert.equal(remaining.at(-1)!.event['type'], 'audit.pruned')
      assert.deepEqual((remaining.at(-1)!.event['data'] as { through_seq: number }).through_seq, archived.size)
      assert.ok(remaining.some((event) => event.event['action_id'] === pending.id), 'the pending action keeps its events')

      const verified = await gw.call('GET', '/v1/audit/verify', { as: 'alice' })
      assert.equal(verified.body.ok, true, JSON.stringify(verified.body.problems))

      // The gateway (a fresh replica reading the store) keeps checkpointing, proving and being witnessed.
      await finished('SELECT 7')
      assert.ok(await gw.auditLog.checkpoint())
      await witness()
      const note = await newestNote()
      const head = headOf(note)
      const event = remaining.find((row) => row.event['action_id'] === pending.id)!
      const inclusion = await gw.call('GET', `/v1/audit/proofs/inclusion?seq=${event.seq}&tree_size=${head.size}`, { as: 'deployBot' })
      assert.equal(inclusion.status, 200, JSON.stringify(inclusion.body))
      const leaf = h(Uint8Array.of(0), Buffer.from(canonicalJson(event.event)))
      assert.ok(rfcInclusion(BigInt(event.seq - 1), BigInt(head.size), leaf, inclusion.body.proof.map((p: string) => Buffer.from(p, 'base64')), head.root))
      // From the archived head (the cut) to now: the remaining log extends what the archive holds.
      const consistency = await gw.call('GET', `/v1/audit/proofs/consistency?from=${archived.size}&to=${head.size}`, { as: 'deployBot' })
      assert.equal(consistency.status, 200, JSON.stringify(consistency.body))
      assert.ok(rfcConsistency(BigInt(archived.size), BigInt(head.size), archived.root, head.root, consistency.body.proof.map((p: string) => Buffer.from(p, 'base64'))))
      // A replica that reads the log after the prune has only the frontier for the archived events.
      const fresh = new AuditLog(gw.store, auditSignerFor(gw.config))
      assert.deepEqual((await fresh.consistencyProof(archived.size, head.size)).proof, consistency.body.proof)
      await assert.rejects(fresh.consistencyProof(2, head.size), /archived/)

      // The archive verifies alone, offline; a checkpoint saved outside it (the cut) is in it.
      writeFileSync(join(outside, 'cut.checkpoint'), (await gw.auditLog.checkpoints(100)).find((served) => served.tree_size === archived.size)!.note)
      const alone = await cli(['audit', 'verify', '--file', 'first.jsonl', '--checkpoint', 'cut.checkpoint'])
      assert.equal(alone.code, 0, alone.stdout + alone.stderr)
      assert.match(alone.stdout, /^audit chain OK: \d+ events/)
      // The store, verified against the same saved checkpoint: it is where the log starts.
      const anchored = await gw.auditLog.verify()
      assert.equal(anchored.ok, true)
    })

    it('detects a tampered archive', async () => {
      const text = readFileSync(join(outside, 'first.jsonl'), 'utf8')
      const lines = text.split('\n')
      const index = lines.findIndex((line) => line.includes('"proof"'))
      writeFileSync(join(outside, 'edited.jsonl'), lines.map((line, n) => (n === index ? JSON.stringify(rechanneled(JSON.parse(line))) : line)).join('\n'))
      const edited = await cli(['audit', 'verify', '--file', 'edited.jsonl'])
      assert.equal(edited.code, 1)
      assert.match(edited.stdout, /NOT OK[\s\S]*modified/)
      // Dropping the last events and their checkpoint's proofs: truncation shows.
      writeFileSync(join(outside, 'cut-short.jsonl'), lines.filter((_, n) => n !== lines.length - 2).join('\n'))
      const short = await cli(['audit', 'verify', '--file', 'cut-short.jsonl'])
      assert.equal(short.code, 1)
      assert.match(short.stdout, /truncated/)
    })

    it('never cuts past an event a webhook endpoint has not taken yet', async () => {
      const url = 'https://siem.example.com/ingest'
      const { seq: base } = await selectAuditBase(gw.store.db)
      await new WebhookCursorStore(gw.store.connection).open(webhookEndpointId(url))
      await sql`update webhook_cursors set seq = ${base} where endpoint = ${webhookEndpointId(url)}`.execute(gw.store.db)
      await assert.rejects(planArchive(gw.store, { before: new Date('2100-01-01T00:00:00Z'), ...rules(), webhooks: [url] }), /a webhook endpoint has taken nothing after event/)
    })

    it('detects tampering with the remaining events and with where the log starts', async () => {
      const [first] = await gw.store.auditEvents(0, 1)
      const original = first!.event
      await sql`update audit_events set event = ${rechanneled(first!).event} where seq = ${first!.seq}`.execute(gw.store.db)
      const edited = await gw.auditLog.verify()
      assert.equal(edited.ok, false)
      await sql`update audit_events set event = ${original} where seq = ${first!.seq}`.execute(gw.store.db)
      assert.equal((await gw.auditLog.verify()).ok, true)

      // Moving the start (to hide that events were removed, or to claim another history) breaks the signed cut.
      const [base] = (await sql<{ hash: string }>`select hash from audit_base`.execute(gw.store.db)).rows
      await sql`update audit_base set hash = ${'f'.repeat(64)}`.execute(gw.store.db)
      const moved = await gw.auditLog.verify()
      assert.equal(moved.ok, false)
      assert.ok(moved.problems.some((problem) => problem.kind === 'rewritten'), JSON.stringify(moved.problems))
      await sql`update audit_base set hash = ${base!.hash}`.execute(gw.store.db)

      // Deleting more events than were archived: the chain no longer starts at the cut.
      await sql`delete from audit_events where seq = ${first!.seq}`.execute(gw.store.db)
      const deleted = await gw.auditLog.verify()
      assert.equal(deleted.ok, false)
      assert.ok(deleted.problems.some((problem) => problem.kind === 'missing'), JSON.stringify(deleted.problems))
    })
  })
}
