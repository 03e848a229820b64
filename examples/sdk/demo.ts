// The TypeScript SDK end to end, against a running gateway (e.g. the quickstart: `npx countersign serve`).
//
//   COUNTERSIGN_URL=http://127.0.0.1:8470 COUNTERSIGN_TOKEN=<the agent's token> \
//   COUNTERSIGN_APPROVER_TOKEN=<alice's token, optional> \
//   node --conditions=countersign-source --import tsx examples/sdk/demo.ts
//
// (`--conditions=countersign-source` makes `countersign/sdk` the TypeScript sources of this
// checkout; where the package is installed, it is the built SDK and needs no flag.)
//
// 1. A read-only query is allowed at once. prod-db has no connector in the quickstart, so the agent
//    runs it itself: it checks the receipt offline, redeems it (once), "runs" it, reports the outcome.
// 2. Dropping the database is denied by the policy: `run` throws Denied with the policy's message.
// 3. A scoped UPDATE needs a DBA. The agent follows the request's events while a human approves it
//    (this script approves as COUNTERSIGN_APPROVER_TOKEN when given; otherwise approve it yourself
//    with `countersign approve ID` or in the console), then runs it with its receipt.
import { Countersign, Denied, verifyReceipt, type Action, type ActionInput } from 'countersign/sdk'

const url = process.env['COUNTERSIGN_URL'] ?? 'http://127.0.0.1:8470'
const cs = new Countersign({ url, token: process.env['COUNTERSIGN_TOKEN'] })
const approverToken = process.env['COUNTERSIGN_APPROVER_TOKEN']

/** Runs an allowed or approved action of a target without a connector: receipt, redeem, run, report. */
async function runItHere(action: Action, input: ActionInput): Promise<void> {
  const { receipt } = await cs.receipt(action.id)
  // Anyone can check a receipt offline (the target's side, an auditor); redeeming makes it single use.
  const claims = await verifyReceipt(receipt, { jwks: await cs.jwks(), target: input.target, action: input })
  console.log(`  receipt ok: ${claims.status} by ${claims.approvers.join(', ') || 'the policy'}, valid until ${new Date(claims.exp * 1000).toISOString()}`)
  await cs.redeem({ receipt, target: input.target, action: input })
  console.log(`  running: ${String(input.payload['sql'])}`)
  const done = await cs.reportOutcome(action.id, { status: 'succeeded', exit_code: 0, output: '(the demo did not really connect to a database)' })
  console.log(`  ${done.id} is ${done.status}`)
}

console.log('1. A read-only query')
const read: ActionInput = { kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT id, plan FROM users WHERE id = 42' }, context: { reason: 'look up a customer', model: 'demo' } }
const allowed = await cs.run(read)
console.log(`  ${allowed.id} is ${allowed.status} (${allowed.decision.matched_rules.join(', ')})`)
await runItHere(allowed, read)

console.log('2. Dropping the database')
try {
  await cs.run({ kind: 'sql', target: 'prod-db', payload: { sql: 'DROP DATABASE app' } })
  throw new Error('the policy let a DROP DATABASE through')
} catch (error) {
  if (!(error instanceof Denied)) throw error
  console.log(`  denied: ${error.reason}`)
}

console.log('3. A scoped UPDATE that a DBA approves')
const update: ActionInput = { kind: 'sql', target: 'prod-db', payload: { sql: "UPDATE users SET plan = 'pro' WHERE id = 42" }, context: { reason: 'the customer paid', model: 'demo' } }
const pending = await cs.submit(update)
console.log(`  ${pending.id} is ${pending.status}: ${pending.links.console ?? pending.links.self}`)
if (approverToken) {
  const approver = new Countersign({ url, token: approverToken })
  await approver.review(pending.id, 'approve', 'checked the WHERE clause')
} else {
  console.log(`  approve it: COUNTERSIGN_TOKEN=<a DBA's token> npx countersign approve ${pending.id}`)
}
let decided: Action = pending
for await (const event of cs.events(pending.id, { signal: AbortSignal.timeout(10 * 60_000) })) {
  if (event.type === 'transition') console.log(`  event ${event.seq}: ${String(event.event['type'])} by ${String(event.event['actor'])}`)
  if (event.type === 'action' && event.action.status !== 'pending') {
    decided = event.action
    break
  }
}
if (decided.status !== 'approved') throw new Error(`${decided.id} is ${decided.status}`)
await runItHere(decided, update)
