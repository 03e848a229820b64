import { CLI_VERBS } from './program.js'
import { runProcess } from './run-program.js'

await runProcess(CLI_VERBS)
