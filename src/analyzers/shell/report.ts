import type { ShellCommandFacts } from './facts.js'
import type { Collected, FoundCommand } from './found-command.js'

const SUMMARY_MAX = 160
const QUOTE_MAX = 60
/** Files written that get a highlight each; the rest are counted. */
const WRITES_LISTED = 3
/** Constructs, code arguments, secret paths and changes that get a highlight each. */
const LISTED = 3

const DOWNLOADERS: ReadonlySet<string> = new Set(['curl', 'wget', 'fetch'])
const INTERPRETERS: ReadonlySet<string> = new Set(['python', 'python3', 'perl', 'ruby', 'node', 'php'])
const POWER: ReadonlySet<string> = new Set(['shutdown', 'reboot', 'halt', 'poweroff'])
const PARTITIONERS: ReadonlySet<string> = new Set(['fdisk', 'sfdisk', 'gdisk', 'sgdisk', 'parted', 'wipefs'])
/** Redirect targets that are not files anyone would mind being written. */
const HARMLESS_TARGETS = /^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/

/** Said at the end of the summary when bash evaluates text as code, so that it never reads as harmless. */
const DYNAMIC_NOTE = ' + code known only at run time'

/**
 * One line for approvers naming what runs, pipelines joined by `|`, elevation marked:
 * `runs rm (as root), curl | sh`. Wrappers that only hand over (`sudo`, `nohup`) are left out.
 * When bash may evaluate text as code (`echo $((x))`) the line ends with
 * `+ code known only at run time`, never cut off.
 */
export function summarize(collected: Collected): string {
  const dynamic = collected.evaluations.length > 0 || collected.commands.some((found) => found.dynamic)
  if (!dynamic) return listPrograms(collected, SUMMARY_MAX)
  return listPrograms(collected, SUMMARY_MAX - DYNAMIC_NOTE.length) + DYNAMIC_NOTE
}

function listPrograms(collected: Collected, max: number): string {
  const items: string[] = []
  const pipesSeen = new Set<number>()
  for (const found of collected.commands) {
    if (found.hidden) continue
    if (found.pipe === null) items.push(label(found))
    else if (!pipesSeen.has(found.pipe.id)) {
      pipesSeen.add(found.pipe.id)
      const elements = collected.pipes.get(found.pipe.id) ?? []
      items.push(elements.map((element) => element.filter((c) => !c.hidden).map(label).join(' ')).filter((text) => text !== '').join(' | '))
    }
  }
  const distinct = [...new Set(items)]
  if (distinct.length === 0) return 'runs no commands'
  let line = `runs ${distinct[0] as string}`
  if (line.length > max) return printable(`${line.slice(0, max - 1)}…`)
  for (let i = 1; i < distinct.length; i++) {
    const next = `${line}, ${distinct[i] as string}`
    if (next.length > max) return printable(`${line}, … (+${distinct.length - i} more)`)
    line = next
  }
  return printable(line)
}

function label(found: FoundCommand): string {
  if (found.runsAs === null) return found.fact.program
  return `${found.fact.program} (as ${found.runsAs})`
}

/** The risky points, most serious first; each a short sentence. */
export function highlight(collected: Collected): string[] {
  const out: string[] = []
  const add = (text: string): void => {
    if (!out.includes(text)) out.push(text)
  }
  const facts = collected.commands.map((found) => found.fact)
  if (collected.parseError !== '') add(`could not fully analyze: ${collected.parseError}`)
  for (const found of collected.commands) if (found.elevates !== null) add(`runs as ${found.elevates} via ${found.fact.program}`)
  for (const fact of facts) {
    const destructive = destruction(fact)
    if (destructive !== null) add(destructive)
  }
  for (const download of pipedDownloads(collected)) add(`pipes a download into a shell (${download})`)
  for (const download of collected.downloadsRun) add(`runs a download as code (${download})`)
  if (collected.codeVia.length > 0) add(`runs code from a string (${collected.codeVia.join(', ')})`)
  for (const construct of collected.evaluations.slice(0, LISTED)) add(`evaluates text as code at run time: ${quote(construct)}`)
  if (collected.evaluations.length > LISTED) add(`evaluates text as code in ${collected.evaluations.length - LISTED} more places`)
  const dynamic = [...new Set(collected.commands.filter((c) => c.dynamic).map((c) => c.fact.path))]
  if (dynamic.length > 0) add(`runs a program known only at run time (${quote(dynamic.join(', '))})`)
  const followed = new Set(collected.codeVia.map((via) => via.split(' ')[0]))
  for (const { program, arg } of collected.runsCode.filter((item) => !followed.has(item.program)).slice(0, LISTED)) add(`runs code from its arguments (${quote(arg === '' ? program : `${program} ${arg}`)})`)
  for (const path of collected.sensitivePaths.slice(0, LISTED)) add(`may read or write a secret file (${quote(path)})`)
  for (const { program, arg } of collected.modifies.slice(0, LISTED)) add(`changes the system or files (${quote(`${program} ${arg}`)})`)
  if (collected.unbounded) add('may run until stopped (follows, repeats, loops or waits for input)')
  if (collected.globs.length > 0) add(`arguments the shell expands (${quote(collected.globs.join(' '))})`)
  const written = [...new Set(writtenFiles(collected))]
  for (const file of written.slice(0, WRITES_LISTED)) add(`writes to ${file}`)
  if (written.length > WRITES_LISTED) add(`writes to ${written.length - WRITES_LISTED} more files`)
  if (collected.hasSubstitution) add('command substitution')
  return out.map(printable)
}

/** The sentence for a command that destroys data or stops the machine; null for others. */
function destruction(fact: ShellCommandFacts): string | null {
  const { program, args } = fact
  const what = destructionKind(program, args)
  return what === null ? null : `${what} (${quote([program, ...args].join(' '))})`
}

function destructionKind(program: string, args: readonly string[]): string | null {
  if (program === 'rm' && args.some((arg) => /^-[^-]*[rR]/.test(arg) || arg === '--recursive')) return 'deletes files recursively'
  if (program === 'find' && args.includes('-delete')) return 'deletes files'
  if (program === 'shred') return 'destroys files'
  if (program === 'mkfs' || program.startsWith('mkfs.') || program === 'mke2fs') return 'formats a file system'
  if (program === 'dd' && args.some((arg) => arg.startsWith('of=/dev/') && !HARMLESS_TARGETS.test(arg.slice(3)))) return 'writes a raw device'
  if (PARTITIONERS.has(program)) return 'changes disk partitions'
  const power = POWER.has(program) || (program === 'systemctl' && args.some((arg) => POWER.has(arg))) || (program === 'init' && (args[0] === '0' || args[0] === '6'))
  if (power) return 'shuts down or reboots the machine'
  return null
}

/** `curl … | sh`: a downloader earlier in a pipeline than a shell reading stdin or an interpreter. */
function pipedDownloads(collected: Collected): string[] {
  const found: string[] = []
  for (const elements of collected.pipes.values()) {
    let download: string | null = null
    // Elements can be holes: an ERROR node in a pipeline runs nothing.
    for (const element of elements) {
      if (element === undefined) continue
      const runner = element.find((c) => c.readsStdin || INTERPRETERS.has(c.fact.program))
      if (download !== null && runner !== undefined) found.push(`${download} … | ${runner.fact.program}`)
      download ??= element.find((c) => DOWNLOADERS.has(c.fact.program))?.fact.program ?? null
    }
  }
  return found
}

/** Files written by redirection (`>`, `>>`, `&>`…) or by `tee`. */
function writtenFiles(collected: Collected): string[] {
  const files = collected.redirects.filter((r) => r.op.includes('>')).map((r) => r.target)
  for (const { fact } of collected.commands) {
    if (fact.program === 'tee') files.push(...fact.args.filter((arg) => !arg.startsWith('-')))
  }
  return files.filter((file) => !HARMLESS_TARGETS.test(file))
}

function quote(text: string): string {
  return text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX - 1)}…` : text
}

/**
 * Escapes control characters and invisible or direction-changing Unicode, so that a crafted
 * program name (`$'ls\n… runs ls'`, a right-to-left override) cannot forge or reorder the
 * line an approver reads.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (ch) => {
    if (ch === '\n') return '\\n'
    if (ch === '\t') return '\\t'
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}
