// The `shell` analyzer (PRODUCT.md §4): what a command line or argv would run.
export { loadShellAnalyzer } from './shell-analyzer.js'
export type { ShellCommandFacts, ShellFacts, ShellRedirectFacts } from './facts.js'
