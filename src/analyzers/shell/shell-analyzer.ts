import type { Parser } from 'web-tree-sitter'
import type { Analysis, Analyzer, FactTypes } from '../analyzer.js'
import { loadBashParser } from './bash-parser.js'
import { CommandCollector } from './collector.js'
import type { Collected } from './found-command.js'
import type { ShellFacts, ShellProgramArgFacts } from './facts.js'
import { highlight, summarize } from './report.js'

/** CEL declarations of every shell fact. */
const SHELL_FACT_TYPES: FactTypes = {
  ShellFacts: {
    commands: 'list<ShellCommand>',
    programs: 'list<string>',
    redirects: 'list<ShellRedirect>',
    has_substitution: 'bool',
    dynamic: 'bool',
    runs_code: 'list<ShellProgramArg>',
    globs: 'list<string>',
    sensitive_paths: 'list<string>',
    modifies: 'list<ShellProgramArg>',
    unbounded: 'bool',
    parse_error: 'string',
  },
  ShellCommand: { program: 'string', path: 'string', args: 'list<string>', sudo: 'bool' },
  ShellProgramArg: { program: 'string', arg: 'string' },
  ShellRedirect: { op: 'string', target: 'string' },
}

/**
 * Loads the bash grammar (once per process) and returns the `shell` analyzer. Its `analyze`
 * takes `{command}` (a command line, parsed as bash) or `{argv}` (run without a shell; wrappers
 * such as `sudo` or `bash -c STRING` in it are still followed), is synchronous and never throws.
 *
 * Input that is not valid bash sets `parse_error` and still lists every command found, so a
 * policy can deny on what it sees as well as on the error.
 *
 * @example
 * const shell = await loadShellAnalyzer()
 * shell.analyze({ command: 'sudo rm -rf /var/lib' }).facts.programs // ['sudo', 'rm']
 */
export async function loadShellAnalyzer(): Promise<Analyzer<ShellFacts>> {
  const parser = await loadBashParser()
  return {
    kind: 'shell',
    rootType: 'ShellFacts',
    types: SHELL_FACT_TYPES,
    analyze: function analyzeShell(payload) {
      return analyzePayload(parser, payload)
    },
  }
}

function analyzePayload(parser: Parser, payload: Readonly<Record<string, unknown>>): Analysis<ShellFacts> {
  const collector = new CommandCollector(parser)
  let collected: Collected
  try {
    const { command, argv } = payload
    if (typeof command === 'string') collected = collector.fromSource(command)
    else if (Array.isArray(argv)) collected = collector.fromArgv(argv.map(String))
    else {
      collector.fail('payload has neither a command string nor an argv array')
      collected = collector.result()
    }
  } catch (error) {
    // A bug here must not let a command through unexamined: report it as a parse error, which
    // policies treat as "cannot vouch for this".
    collector.fail(`analysis failed: ${error instanceof Error ? error.message : String(error)}`)
    collected = collector.result()
  }
  const commands = collected.commands.map((found) => found.fact)
  const facts: ShellFacts = {
    commands,
    programs: [...new Set(commands.map((command) => command.program))],
    redirects: collected.redirects,
    has_substitution: collected.hasSubstitution,
    dynamic: collected.commands.some((found) => found.dynamic) || collected.evaluations.length > 0,
    runs_code: dedupe(collected.runsCode),
    globs: collected.globs,
    sensitive_paths: collected.sensitivePaths,
    modifies: dedupe(collected.modifies),
    unbounded: collected.unbounded,
    parse_error: collected.parseError,
  }
  return { facts, summary: summarize(collected), highlights: highlight(collected) }
}

/** Each `{program, arg}` once, in first-seen order (a wrapper and what it wraps see the same words). */
function dedupe(items: readonly ShellProgramArgFacts[]): ShellProgramArgFacts[] {
  const seen = new Set<string>()
  return items.filter((item) => {
    const key = JSON.stringify([item.program, item.arg])
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
