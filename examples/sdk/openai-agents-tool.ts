// An OpenAI Agents SDK (`@openai/agents`) function tool whose shell commands run only once
// Countersign allows them or a human approves them.
// Needs: npm install @openai/agents zod  (not dependencies of Countersign itself).
//
// When `execute` throws (Denied, Expired, Cancelled, StillPending), the Agents SDK's default error
// handler gives the model the error message: the policy's reason, or the pending request's id and
// console link, so the model can tell the user what is needed.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Agent, run, tool } from '@openai/agents'
import { z } from 'zod'
import { Countersign, guard } from 'countersign/sdk'

const cs = new Countersign({ url: process.env['COUNTERSIGN_URL']!, token: process.env['COUNTERSIGN_TOKEN'] })

// argv, never a shell string: what runs is exactly the approved argument list.
const runCommand = guard(async ({ argv }: { argv: string[] }) => {
  const { stdout, stderr } = await promisify(execFile)(argv[0]!, argv.slice(1), { timeout: 60_000 })
  return { stdout, stderr }
}, {
  client: cs,
  target: 'build-host',
  kind: 'shell',
  toPayload: ({ argv }) => ({ argv }),
  context: { model: 'gpt-4.1', reason: 'build-host maintenance agent' },
  timeoutMs: 5 * 60_000,
})

const agent = new Agent({
  name: 'Build host operator',
  instructions: 'You keep the build host healthy. Commands that change things need a human approval; if one is pending, tell the user the link.',
  tools: [
    tool({
      name: 'run_command',
      description: 'Run a command on the build host, as a list of arguments (no shell).',
      parameters: z.object({ argv: z.array(z.string()).min(1) }),
      execute: async (input) => runCommand(input),
    }),
  ],
})

const result = await run(agent, 'The disk is almost full: clean up old build caches.')
console.log(result.finalOutput)
