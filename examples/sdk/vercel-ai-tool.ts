// A Vercel AI SDK (`ai` 5) tool whose SQL runs only once Countersign allows it or a DBA approves it.
// Needs: npm install ai @ai-sdk/openai zod  (not dependencies of Countersign itself).
//
// The model calls `run_sql`; `guard` submits {kind: sql, target: analytics-db, payload: {sql}} and
// waits. Denied, expired or still pending after 5 minutes: `execute` throws, and the AI SDK hands
// the error text (with the policy's reason, or the pending request's console link) to the model as
// the tool's error. Allowed or approved: the receipt is redeemed and the query runs here.
import { openai } from '@ai-sdk/openai'
import { generateText, stepCountIs, tool } from 'ai'
import pg from 'pg'
import { z } from 'zod'
import { Countersign, guard } from 'countersign/sdk'

const cs = new Countersign({ url: process.env['COUNTERSIGN_URL']!, token: process.env['COUNTERSIGN_TOKEN'] })
const db = new pg.Pool({ connectionString: process.env['ANALYTICS_DB_URL'] })

const runSql = guard(async ({ sql }: { sql: string }) => (await db.query(sql)).rows, {
  client: cs,
  target: 'analytics-db',
  kind: 'sql',
  toPayload: ({ sql }) => ({ sql }),
  context: { model: 'gpt-4o', reason: 'answering an analyst question' },
  timeoutMs: 5 * 60_000,
})

const { text } = await generateText({
  model: openai('gpt-4o'),
  tools: {
    run_sql: tool({
      description: 'Run one PostgreSQL statement on the analytics database. Writes need a human approval.',
      inputSchema: z.object({ sql: z.string().describe('One SQL statement') }),
      execute: async (input) => runSql(input),
    }),
  },
  stopWhen: stepCountIs(5),
  prompt: 'How many customers upgraded to the pro plan last week?',
})
console.log(text)
await db.end()
