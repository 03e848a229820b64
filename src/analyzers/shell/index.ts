// The `shell` analyzer (docs/facts.md): what a command line or argv would run.
export { loadShellAnalyzer } from './shell-analyzer.js'
export type { ShellCommandFacts, ShellFacts, ShellProgramArgFacts, ShellRedirectFacts } from './facts.js'
