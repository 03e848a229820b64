// The agent-side CLI (`submit`, `exec`, `hook`, `mcp`): the entry of the single bundled file
// `dist/countersign-agent.mjs`, which runs with Node alone on an agent host.
import { AGENT_VERBS } from './agent-verbs.js'
import { runProcess } from './run-program.js'

await runProcess(AGENT_VERBS)
