import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { z } from 'zod'
import { canonicalJson } from '../action/index.js'
import { testStores } from '../store/connection/index.js'
import type { Person, TestGateway } from './test-gateway.js'
import { startWitnessedGateway, type WitnessedGateway } from './test-witnessed-gateway.js'
import { h, headOf, rfcConsistency, rfcInclusion } from './test-rfc9162-verifier.js'

const WITNESS = 'witness.security.example.com'

for (const store of testStores()) {
  describe(`audit witnesses and saved checkpoints on ${store.name}`, () => {
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
    const witness = () => cli(['audit', 'witness', '--log', url, '--state', state], 'deployBot')
    const submit = async (sqlText: string) => {
      const response = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'sql', target: 'prod-db', payload: { sql: sqlText } } })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body as { id: string; status: string }
    }
    const newestNote = async () => {
      const answer = await gw.call('GET', '/v1/audit/checkpoints?limit=1', { as: 'deployBot' })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return answer.body.checkpoints.at(-1).note as string
    }
    /** The attacker: writes with the store's credentials, as the API never would. */
    const db = () => gw.store.db

    it('serves signed tree heads and proofs that an independent RFC 9162 verifier accepts', async () => {
      const approved = await submit("DELETE FROM sessions WHERE user_id = 42")
      assert.equal(approved.status, 'pending')
      assert.equal((await gw.call('POST', `/v1/actions/${approved.id}/reviews`, { as: 'bob', body: { decision: 'approve', reason: 'cleanup' } })).status, 200)
      await submit('SELECT 1')
      assert.ok(await gw.auditLog.checkpoint())
      const first = headOf(await newestNote())
      await submit('SELECT 2')
      assert.ok(await gw.auditLog.checkpoint())
      const note = await newestNote()
      assert.match(note, /^countersign\.test\/audit\n\d+\n[A-Za-z0-9+/]{43}=\n\n\u2014 countersign\.test\/audit [A-Za-z0-9+/]+=*\n$/)
      const second = headOf(note)

      const events = (await gw.call('GET', '/v1/audit?limit=100', { as: 'alice' })).body.events as { seq: number; event: Record<string, unknown> }[]
      const approval = events.find((event) => event.event['type'] === 'review.approve')!
      const inclusion = await gw.call('GET', `/v1/audit/proofs/inclusion?seq=${approval.seq}&tree_size=${second.size}`, { as: 'deployBot' })
      assert.equal(inclusion.status, 200, JSON.stringify(inclusion.body))
      // The leaf is the event's canonical text as stored, hashed with the 0x00 prefix.
      const leaf = h(Uint8Array.of(0), Buffer.from(canonicalJson(approval.event)))
      assert.equal(inclusion.body.leaf_hash, leaf.toString('base64'))
      assert.ok(rfcInclusion(BigInt(approval.seq - 1), BigInt(second.size), leaf, inclusion.body.proof.map((p: string) => Buffer.from(p, 'base64')), second.root))

      const consistency = await gw.call('GET', `/v1/audit/proofs/consistency?from=${first.size}&to=${second.size}`, { as: 'deployBot' })
      assert.equal(consistency.status, 200)
      assert.ok(rfcConsistency(BigInt(first.size), BigInt(second.size), first.root, second.root, consistency.body.proof.map((p: string) => Buffer.from(p, 'base64'))))

      // The same proofs, computed offline by the CLI from an export of the log.
      const exported = await cli(['audit', 'export'])
      assert.equal(exported.code, 0, exported.stderr)
      writeFileSync(join(outside, 'audit.jsonl'), exported.stdout)
      const offline = await cli(['audit', 'proof', 'inclusion', '--seq', String(approval.seq), '--tree-size', String(second.size), '--file', 'audit.jsonl'])
      assert.equal(offline.code, 0, offline.stderr)
      assert.deepEqual(JSON.parse(offline.stdout), inclusion.body)
      const offlineConsistency = await cli(['audit', 'proof', 'consistency', '--from', String(first.size), '--to', String(second.size), '--file', 'audit.jsonl'])
      assert.deepEqual(JSON.parse(offlineConsistency.stdout), consistency.body)

      // Beyond the log, or without a token: refused.
      assert.equal((await gw.call('GET', `/v1/audit/proofs/inclusion?seq=1&tree_size=${second.size + 1}`, { as: 'deployBot' })).status, 400)
      assert.equal((await gw.call('GET', `/v1/audit/proofs/consistency?from=3&to=2`, { as: 'deployBot' })).status, 400)
      assert.equal((await gw.call('GET', '/v1/audit/checkpoints')).status, 401)
    })

    it('exports the log for a SIEM: OCSF events and CloudEvents envelopes, one per line, that validate', async () => {
      const schema = (file: string) => z.fromJSONSchema(JSON.parse(readFileSync(new URL(`../audit/fixtures/${file}`, import.meta.url), 'utf8')))
      const classes: Record<number, ReturnType<typeof schema>> = { 6003: schema('ocsf-api-activity.schema.json'), 3001: schema('ocsf-account-change.schema.json'), 6002: schema('ocsf-application-lifecycle.schema.json') }
      const ocsf = await cli(['audit', 'export', '--format', 'ocsf'])
      assert.equal(ocsf.code, 0, ocsf.stderr)
      const lines = ocsf.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>)
      assert.ok(lines.length >= 8)
      for (const line of lines) assert.ok(classes[line['class_uid']]!.safeParse(line).success, JSON.stringify(line))
      assert.equal(lines[0]!['metadata'].uid, 'countersign.test/audit/1')
      assert.ok(lines.some((line) => line['unmapped'].countersign.type === 'review.approve' && line['actor'].user.email_addr === 'bob@example.com'))
      const cloud = await cli(['audit', 'export', '--format', 'cloudevents', '--since', '2'])
      const envelopes = cloud.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>)
      assert.equal(envelopes[0]!['id'], 'countersign.test/audit/3')
      assert.ok(envelopes.every((envelope) => schema('cloudevents-1.0.schema.json').safeParse(envelope).success))
    })

    it('is cosigned by a listed witness, whose status /metrics shows, and refuses cosignatures of anyone else', async () => {
      const run = await witness()
      assert.equal(run.code, 0, run.stderr + run.stdout)
      assert.match(run.stdout, /^witness: cosigned countersign\.test\/audit at \d+ events, root \S+ \(first checkpoint seen \(trusted on first use\)\)\n$/)
      const note = await newestNote()
      assert.match(note, new RegExp(`\n\u2014 ${WITNESS.replaceAll('.', '\\.')} [A-Za-z0-9+/]+=*\n$`))
      const { size } = headOf(note)
      const status = (await gw.call('GET', '/v1/audit/checkpoints?limit=1', { as: 'deployBot' })).body.witnesses
      assert.deepEqual(status.map((witness: Record<string, unknown>) => [witness['name'], witness['tree_size'], witness['lag']]), [[WITNESS, size, 0]])
      const metrics = await gw.call('GET', '/metrics')
      assert.match(metrics.body, new RegExp(`countersign_audit_witness_tree_size\\{witness="${WITNESS.replaceAll('.', '\\.')}"\\} ${size}\n`))
      assert.match(metrics.body, /countersign_audit_witness_lag_events\{witness="[^"]+"\} 0\n/)

      // A key not in audit.witnesses, or a line that is not a signature of this tree head.
      const stranger = generateKeyPairSync('ed25519')
      const { cosignNote } = await import('../audit/index.js')
      const body = note.slice(0, note.indexOf('\n\n') + 1)
      const foreign = await gw.call('POST', '/v1/audit/checkpoints/cosignatures', { as: 'deployBot', body: { tree_size: size, cosignature: cosignNote(body, 'stranger.example', stranger.privateKey, 1_700_000_000) } })
      assert.equal(foreign.status, 403)
      const forged = await gw.call('POST', '/v1/audit/checkpoints/cosignatures', { as: 'deployBot', body: { tree_size: size, cosignature: cosignNote(body, WITNESS, stranger.privateKey, 1_700_000_000) } })
      assert.equal(forged.status, 403)
      assert.equal((await gw.call('POST', '/v1/audit/checkpoints/cosignatures', { as: 'deployBot', body: { tree_size: size, cosignature: 'hello' } })).status, 400)

      // A witness the gateway does not list: it verified the log, but its cosignature is refused.
      const unlisted = mkdtempSync(join(tmpdir(), 'countersign-witness-'))
      const refused = await cli(['audit', 'witness', '--log', url, '--state', unlisted, '--name', 'unlisted.example'], 'deployBot')
      assert.equal(refused.code, 3, refused.stdout + refused.stderr)
      assert.match(refused.stderr, /new witness key; list it in the gateway's audit\.witnesses:\n  unlisted\.example\+[0-9a-f]{8}\+/)
      assert.match(refused.stderr, /countersign: unlisted\.example is not a witness of this log \(audit\.witnesses\)\n$/)

      // More events, a new checkpoint: the witness checks it extends the one it cosigned.
      await submit('SELECT 3')
      assert.ok(await gw.auditLog.checkpoint())
      const next = await witness()
      assert.equal(next.code, 0, next.stderr + next.stdout)
      assert.match(next.stdout, new RegExp(`\\(consistent with ${size}\\)\n$`))
      // The checkpoint an auditor keeps outside the log (here: the witness's own copy).
      writeFileSync(join(outside, 'saved.checkpoint'), readFileSync(join(state, 'checkpoint')))
      const clean = await cli(['audit', 'verify', '--checkpoint', 'saved.checkpoint'])
      assert.equal(clean.code, 0, clean.stdout)
      assert.match(clean.stdout, /the log contains the checkpoint of \d+ events/)
    })

    it('detects an approval whose actor was rewritten with every later hash recomputed and newer checkpoints deleted: the witness and verify --checkpoint both', async () => {
      const saved = headOf(readFileSync(join(outside, 'saved.checkpoint'), 'utf8'))
      const rows = await db().selectFrom('audit_events').select(['seq', 'prev_hash', 'event']).orderBy('seq').execute()
      const target = rows.find((row) => (JSON.parse(row.event) as { type: string }).type === 'review.approve')!
      const targetSeq = Number(target.seq)
      assert.ok(targetSeq < saved.size)
      // Erin approved it, says the log now; and so says the reviews table.
      let prev = target.prev_hash
      for (const row of rows.filter((candidate) => Number(candidate.seq) >= targetSeq)) {
        const text = Number(row.seq) === targetSeq ? canonicalJson({ ...JSON.parse(row.event), actor: 'human:erin@example.com' }) : row.event
        const hash = h(Buffer.from(prev, 'hex'), Buffer.from(text)).toString('hex')
        await db().updateTable('audit_events').set({ event: text, prev_hash: prev, hash }).where('seq', '=', row.seq).execute()
        prev = hash
      }
      await db().updateTable('audit_head').set({ hash: prev }).where('id', '=', 1).execute()
      await db().updateTable('reviews').set({ reviewer: 'erin@example.com' }).where('reviewer', '=', 'bob@example.com').execute()
      await sql`delete from audit_checkpoints where seq >= ${targetSeq}`.execute(db())
      // The gateway goes on and signs the rewritten log: its own verification cannot tell.
      await submit('SELECT 5')
      assert.ok(await gw.auditLog.checkpoint())
      const own = await cli(['audit', 'verify'])
      assert.equal(own.code, 0, own.stdout)
      assert.match(own.stdout, /^audit chain OK/)

      const watched = await witness()
      assert.equal(watched.code, 1, watched.stdout + watched.stderr)
      assert.match(watched.stdout, /^witness: FORK: the tree of \d+ events .* does not extend the tree of \d+ this witness cosigned .*not cosigned, state kept\n$/)
      assert.equal(headOf(readFileSync(join(state, 'checkpoint'), 'utf8')).size, saved.size, 'the witness keeps what it saw')

      const checked = await cli(['audit', 'verify', '--checkpoint', 'saved.checkpoint'])
      assert.equal(checked.code, 1, checked.stdout)
      assert.match(checked.stdout, new RegExp(`seq ${saved.size}: rewritten: the log's first ${saved.size} events are not the ones the checkpoint of ${saved.size} events saved outside the log covers`))
      // The same from an export of the rewritten log, offline.
      const exported = await cli(['audit', 'export'])
      writeFileSync(join(outside, 'rewritten.jsonl'), exported.stdout)
      const offline = await cli(['audit', 'verify', '--checkpoint', 'saved.checkpoint', '--file', 'rewritten.jsonl'])
      assert.equal(offline.code, 1, offline.stdout)
      assert.match(offline.stdout, /rewritten/)
    })

    it('detects a truncated tail with its checkpoints and the action\'s rows: the witness (rollback) and verify --checkpoint', async () => {
      // Start over from the log as it now is: the witness accepts it once more from scratch.
      const fresh = mkdtempSync(join(tmpdir(), 'countersign-witness-'))
      for (const file of ['witness-ed25519.pem', 'name']) writeFileSync(join(fresh, file), readFileSync(join(state, file)))
      state = fresh
      assert.equal((await witness()).code, 0)
      const kept = headOf(readFileSync(join(state, 'checkpoint'), 'utf8')).size
      const dropped = await submit('SELECT 4')
      assert.ok(await gw.auditLog.checkpoint())
      assert.equal((await witness()).code, 0)
      writeFileSync(join(outside, 'longer.checkpoint'), readFileSync(join(state, 'checkpoint')))

      const keptHead = await db().selectFrom('audit_events').select(['hash']).where('seq', '=', kept).executeTakeFirstOrThrow()
      await sql`delete from audit_events where seq > ${kept}`.execute(db())
      await sql`delete from audit_checkpoints where seq > ${kept}`.execute(db())
      await db().updateTable('audit_head').set({ seq: kept, hash: keptHead.hash }).where('id', '=', 1).execute()
      await sql`delete from actions where id = ${dropped.id}`.execute(db())
      const own = await cli(['audit', 'verify'])
      assert.equal(own.code, 0, own.stdout)

      const watched = await witness()
      assert.equal(watched.code, 1, watched.stdout)
      assert.match(watched.stdout, new RegExp(`^witness: ROLLBACK: the newest checkpoint has ${kept} events but this witness already cosigned ${kept + 2} `))
      const checked = await cli(['audit', 'verify', '--checkpoint', 'longer.checkpoint'])
      assert.equal(checked.code, 1, checked.stdout)
      assert.match(checked.stdout, new RegExp(`seq ${kept + 1}: truncated: the log has ${kept} events but the checkpoint saved outside it covers ${kept + 2}`))
    })
  })
}
