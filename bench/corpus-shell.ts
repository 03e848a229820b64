/**
 * The shell analyzer over public material nobody here wrote (issue 16), with independent oracles:
 * per corpus, items, parse errors (and how many of them bash itself accepts), items judged
 * harmless, false harmless, a false risky estimate, items per second.
 *
 * The corpora are git repositories fetched as bare mirrors into `COUNTERSIGN_CORPUS_MIRRORS`
 * (`OWNER+NAME/repo`, the layout of the `fetch` tool: /work/.mirror); nothing of them is
 * committed, and a corpus whose mirror is absent is skipped with a message.
 *
 *   COUNTERSIGN_CORPUS_MIRRORS=/work/.mirror npm run bench -- corpus-shell
 *
 * - tldr-pages/tldr: the examples of pages/common and pages/linux, `{{placeholders}}` replaced by
 *   their first alternative (`{{[-r|--recursive]}}` → `-r`) or their text (`{{path/to/file}}` →
 *   `path/to/file`, which the scratch directory holds).
 * - koalaman/shellcheck: the snippets of the `prop_` tests that ShellCheck parses (`verify`,
 *   `verifyNot`, `verifyTree`, `verifyNotTree` of the checks; `isOk`/`isWarning` of whole-command
 *   readers in Parser.hs), ksh/zsh/dash-only ones left out.
 * - GTFOBins/GTFOBins.github.io: every `code` of `_gtfobins/*`, each a known abuse: all but the
 *   `file-read` ones (reading is what read-only commands do) must never be judged harmless.
 *
 * Harmless is what the starter policy's `shell-read-only` rule (examples/policy.yaml) would let
 * run without a human, after its deny rules: no parse error, nothing dynamic, nothing in
 * `runs_code`, `globs`, `modifies` or `sensitive_paths`, not unbounded, nothing as root, only `<`
 * redirects, and every program a reading one. The rule's own list is widened here to every program
 * whose writing options the analyzer models (`sort -o`, `sed -i`, `find -delete`, `sysctl -w`…),
 * so that those models are tested too. Each command judged harmless runs in a throwaway bubblewrap
 * sandbox (bench/lib/shell-sandbox.ts): a change to its scratch tree, a write attempted outside it,
 * a system change or a network socket is a false harmless.
 *
 * Parse errors are checked with `bash -O extglob -n` (bash parses without running): those bash
 * accepts are valid bash refused, the friction part of false risky. The other part is estimated on
 * the reading programs: commands refused only for `modifies` that ran in the sandbox without any
 * change (tldr only, where the scratch files make the commands do their work).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parse as parseYaml } from 'yaml'
import { findBwrap } from '../src/connectors/sandbox.js'
import { loadShellAnalyzer, type ShellFacts } from '../src/analyzers/shell/index.js'
import { ShellSandbox, type SandboxOutcome } from './lib/shell-sandbox.js'

export const name = 'corpus-shell: the shell analyzer over tldr, ShellCheck and GTFOBins, checked in a sandbox'

const MAX_LISTED = 8

/** The starter policy's `shell-read-only` programs. */
const STARTER_READING = ['ls', 'cat', 'head', 'tail', 'grep', 'wc', 'df', 'du', 'free', 'uptime', 'ps', 'whoami', 'id', 'hostname', 'date', 'pwd', 'echo', 'stat', 'journalctl', 'uname']
/** Programs whose writing options and operands the analyzer models (program-effects.ts): `modifies` must catch their writes. */
const MODELED_READING = ['sort', 'uniq', 'sed', 'awk', 'gawk', 'mawk', 'find', 'xxd', 'dmesg', 'sysctl', 'systemctl', 'hostnamectl', 'timedatectl', 'localectl', 'loginctl', 'ip', 'ss', 'top', 'vmstat', 'iostat', 'mpstat', 'hwclock', 'crontab']
const READING: ReadonlySet<string> = new Set([...STARTER_READING, ...MODELED_READING])

interface Item {
  readonly source: string
  readonly text: string
  /** A known verdict: this must not be harmless (GTFOBins abuses). */
  readonly mustBeRisky?: boolean
  /** GTFOBins `inherit`: the program starts a pager when its output is a terminal. */
  readonly pagerOnly?: boolean
}

function gitText(gitDir: string, args: readonly string[], input?: string): Buffer {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 1 << 30, ...(input !== undefined && { input }) })
}

/** Blobs of `paths` at `commit`, with one `git cat-file --batch`. */
function readBlobs(gitDir: string, commit: string, paths: readonly string[]): { path: string; text: string }[] {
  if (paths.length === 0) return []
  const out = gitText(gitDir, ['cat-file', '--batch'], paths.map((path) => `${commit}:${path}\n`).join(''))
  const files: { path: string; text: string }[] = []
  let offset = 0
  for (const path of paths) {
    const newline = out.indexOf(10, offset)
    const size = Number(out.subarray(offset, newline).toString('utf8').split(' ')[2])
    if (!Number.isFinite(size)) throw new Error(`git cat-file: ${out.subarray(offset, newline).toString('utf8')}`)
    files.push({ path, text: out.subarray(newline + 1, newline + 1 + size).toString('utf8') })
    offset = newline + 1 + size + 1
  }
  return files
}

function readTree(gitDir: string, keep: (path: string) => boolean): { files: { path: string; text: string }[]; commit: string } {
  const commit = gitText(gitDir, ['rev-parse', 'HEAD^{commit}']).toString('utf8').trim()
  const paths = gitText(gitDir, ['ls-tree', '-r', '--name-only', commit]).toString('utf8').split('\n').filter((path) => path !== '' && keep(path))
  return { files: readBlobs(gitDir, commit, paths), commit }
}

// --- Corpora -------------------------------------------------------------------------------------

/** `{{[-r|--recursive]}}` → `-r`; `{{a|b}}` → `a`; `{{path/to/file1 path/to/file2 ...}}` → `path/to/file1 path/to/file2`. */
function substitutePlaceholders(example: string): string {
  return example.replace(/\{\{(.*?)\}\}(?!\})/g, (_, inner: string) => {
    const options = /^\[(.*)\]$/.exec(inner)
    if (options !== null) return (options[1] as string).split('|')[0] as string
    const text = inner.replace(/\s*\.\.\.\s*$/, '')
    if (text.includes('|') && !/\s/.test(text)) return text.split('|')[0] as string
    return text
  })
}

export function tldrItems(gitDir: string): { items: Item[]; commit: string } {
  const { files, commit } = readTree(gitDir, (path) => /^pages\/(common|linux)\/[^/]+\.md$/.test(path))
  const items: Item[] = []
  for (const file of files) {
    for (const line of file.text.split('\n')) {
      const match = /^`(.+)`$/.exec(line)
      if (match !== null) items.push({ source: file.path.replace(/^pages\//, ''), text: substitutePlaceholders(match[1] as string) })
    }
  }
  return { items, commit }
}

/** A Haskell string literal's body: `\"`, `\\`, `\n`, `\t`, `\&`, decimal/`\x`/`\o` escapes, gaps. */
function haskellString(body: string): string {
  return body.replace(/\\(\s+\\|&|x[0-9a-fA-F]+|o[0-7]+|\d+|[abfnrtv\\"'])/g, (_, esc: string) => {
    if (/^\s/.test(esc) || esc === '&') return ''
    if (esc.startsWith('x')) return String.fromCodePoint(parseInt(esc.slice(1), 16))
    if (esc.startsWith('o')) return String.fromCodePoint(parseInt(esc.slice(1), 8))
    if (/^\d/.test(esc)) return String.fromCodePoint(parseInt(esc, 10))
    return ({ a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[esc] ?? esc
  })
}

/** Parser.hs readers that read a whole command or script. */
const WHOLE_READERS = /^(readScript|readSimpleCommand|readFunctionDefinition|readForClause|readSelectClause|readWhileClause|readUntilClause|readIfClause|readCaseClause|readCompoundCommand|readCondition|readCoProc|readPipeline|readAndOr|readTerm|readCommand|readAssignmentWord|readBraceGroup|readSubshell|readArithmeticExpression)$/

export function shellcheckItems(gitDir: string): { items: Item[]; commit: string } {
  const { files, commit } = readTree(gitDir, (path) => /^src\/ShellCheck\/(Analytics|Parser|Checks\/\w+)\.hs$/.test(path))
  const items: Item[] = []
  for (const file of files) {
    for (const match of file.text.matchAll(/^(prop_\w+)\s*=\s*(verify|verifyNot|verifyTree|verifyNotTree|isOk|isWarning)\s+(\w+)\s+"((?:[^"\\\n]|\\.)*)"\s*$/gm)) {
      const [, prop, how, reader, body] = match as unknown as [string, string, string, string, string]
      if ((how === 'isOk' || how === 'isWarning') && !WHOLE_READERS.test(reader)) continue
      const text = haskellString(body)
      if (/^#!\s*\S*(ksh|zsh|dash|busybox|mksh)|shell=(ksh|zsh|dash|busybox)/m.test(text)) continue
      items.push({ source: `${file.path.replace(/^src\/ShellCheck\//, '')} ${prop}`, text })
    }
  }
  return { items, commit }
}

interface GtfoFunction {
  readonly code?: unknown
}

export function gtfobinsItems(gitDir: string): { items: Item[]; commit: string } {
  const { files, commit } = readTree(gitDir, (path) => /^_gtfobins\/[^/]+$/.test(path))
  const items: Item[] = []
  for (const file of files) {
    const yamlText = /^---\n([\s\S]*?)\n(---|\.\.\.)\s*$/m.exec(file.text)?.[1] ?? file.text
    let document: unknown
    try {
      document = parseYaml(yamlText)
    } catch {
      continue
    }
    const functions = (document as { functions?: Record<string, GtfoFunction[] | null> } | null)?.functions ?? {}
    for (const [kind, entries] of Object.entries(functions)) {
      for (const entry of entries ?? []) {
        if (typeof entry?.code !== 'string') continue
        // `file-read` is what reading commands do; `inherit` is a pager the program starts on a
        // terminal (`systemctl` → less → `!sh`), and commands run here have none: listed apart.
        items.push({ source: `${file.path.replace(/^_gtfobins\//, '')} ${kind}`, text: entry.code, mustBeRisky: kind !== 'file-read' && kind !== 'inherit', pagerOnly: kind === 'inherit' })
      }
    }
  }
  return { items, commit }
}

// --- Verdicts ------------------------------------------------------------------------------------

/** The starter policy's read-only verdict (its deny rules first), with the widened program list. */
function harmless(facts: ShellFacts, programs: ReadonlySet<string>): boolean {
  return facts.parse_error === '' && !facts.dynamic && facts.runs_code.length === 0 && facts.globs.length === 0
    && facts.modifies.length === 0 && !facts.unbounded && facts.sensitive_paths.length === 0
    && facts.programs.length > 0 && facts.programs.every((p) => programs.has(p))
    && !facts.commands.some((c) => c.sudo) && facts.redirects.every((r) => r.op === '<')
}

/** Whether bash parses the text (`bash -n`, extglob on as in interactive use); null when bash cannot be run. */
function bashAccepts(text: string): boolean | null {
  const result = spawnSync('bash', ['-O', 'extglob', '-n'], { input: text, timeout: 5000, stdio: ['pipe', 'ignore', 'ignore'] })
  if (result.error !== undefined) return null
  return result.status === 0
}

function listed(items: readonly string[]): string {
  const more = items.length > MAX_LISTED ? ` (+${items.length - MAX_LISTED} more)` : ''
  return items.slice(0, MAX_LISTED).join(' | ') + more
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').slice(0, 120)

/** Runs `jobs` at most `width` at a time. */
async function inParallel<T, R>(jobs: readonly T[], width: number, run: (job: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(jobs.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++
      results[i] = await run(jobs[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker))
  return results
}

export async function run(): Promise<void> {
  const root = process.env.COUNTERSIGN_CORPUS_MIRRORS
  if (root === undefined || root === '' || !existsSync(root)) {
    console.log('skipped: set COUNTERSIGN_CORPUS_MIRRORS to the directory of fetched mirrors (OWNER+NAME/repo), e.g. /work/.mirror')
    return
  }
  const bwrap = findBwrap()
  const strace = spawnSync('which', ['strace'], { encoding: 'utf8' }).stdout.trim()
  if (bwrap === undefined || strace === '') {
    console.log('skipped: the oracle needs bwrap and strace on PATH')
    return
  }
  const shell = await loadShellAnalyzer()
  const sandbox = new ShellSandbox(bwrap, strace)
  const width = Number(process.env.COUNTERSIGN_CORPUS_JOBS ?? 2)
  const corpora = [
    { repo: 'tldr-pages/tldr', label: 'pages/{common,linux}/*.md examples', read: tldrItems, estimateRisky: true },
    { repo: 'koalaman/shellcheck', label: 'src/ShellCheck prop_ snippets', read: shellcheckItems, estimateRisky: false },
    { repo: 'GTFOBins/GTFOBins.github.io', label: '_gtfobins/* code', read: gtfobinsItems, estimateRisky: false },
  ]
  try {
    for (const corpus of corpora) {
      const gitDir = join(root, corpus.repo.replace('/', '+'), 'repo')
      if (!existsSync(gitDir)) {
        console.log(`shell / ${corpus.repo}: skipped (no mirror under ${root})`)
        continue
      }
      const { items, commit } = corpus.read(gitDir)
      let ms = 0
      const parseErrors: Item[] = []
      const toRun: Item[] = []
      const modifiesOnly: Item[] = []
      const knownMissed: string[] = []
      const pagerOnly: string[] = []
      let starterHarmless = 0
      for (const item of items) {
        const start = performance.now()
        const facts = shell.analyze({ command: item.text }).facts
        ms += performance.now() - start
        if (facts.parse_error !== '') parseErrors.push(item)
        if (harmless(facts, READING)) {
          toRun.push(item)
          if (facts.programs.every((p) => STARTER_READING.includes(p))) starterHarmless++
          if (item.mustBeRisky === true) knownMissed.push(`${item.source}: ${oneLine(item.text)}`)
          if (item.pagerOnly === true) pagerOnly.push(`${item.source}: ${oneLine(item.text)}`)
        } else if (corpus.estimateRisky && facts.modifies.length > 0 && harmless({ ...facts, modifies: [] }, READING)) modifiesOnly.push(item)
      }
      const bashValid = parseErrors.filter((item) => bashAccepts(item.text) === true)
      const ran = await inParallel(toRun, width, (item) => sandbox.run(item.text))
      const falseHarmless: string[] = []
      const timedOut: string[] = []
      const sockets = new Map<string, number>()
      ran.forEach((outcome: SandboxOutcome, i) => {
        const item = toRun[i] as Item
        if (outcome.changes.length > 0) falseHarmless.push(`${item.source}: ${oneLine(item.text)} → ${outcome.changes.slice(0, 3).join(', ')}`)
        if (outcome.timedOut) timedOut.push(`${item.source}: ${oneLine(item.text)}`)
        for (const socket of outcome.localSockets) sockets.set(socket, (sockets.get(socket) ?? 0) + 1)
      })
      const risky = corpus.estimateRisky ? await inParallel(modifiesOnly, width, (item) => sandbox.run(item.text)) : []
      const quietModifies = modifiesOnly.filter((_, i) => risky[i]!.changes.length === 0 && !risky[i]!.timedOut)
      console.log(`shell / ${corpus.repo} ${corpus.label} @ ${commit.slice(0, 12)}`)
      console.log(`  items ${items.length}, parse errors ${parseErrors.length}, of which bash -n accepts ${bashValid.length}${bashValid.length > 0 ? `: ${listed(bashValid.map((item) => `${item.source}: ${oneLine(item.text)}`))}` : ''}`)
      console.log(`  harmless ${toRun.length} (${starterHarmless} with the starter rule's own programs), each run in the sandbox: false harmless ${falseHarmless.length}${falseHarmless.length > 0 ? `: ${listed(falseHarmless)}` : ''}`)
      if (process.env.COUNTERSIGN_CORPUS_VERBOSE === '1') for (const line of falseHarmless) console.log(`    ${line}`)
      if (items.some((item) => item.mustBeRisky === true)) console.log(`  known abuses judged harmless: ${knownMissed.length}${knownMissed.length > 0 ? `: ${listed(knownMissed)}` : ''}`)
      if (pagerOnly.length > 0) console.log(`  harmless without a terminal (GTFOBins "inherit": a pager on a terminal; the gateway runs commands without one): ${pagerOnly.length}: ${listed(pagerOnly)}`)
      if (timedOut.length > 0) console.log(`  harmless yet still running after 3 s (unbounded missed?): ${timedOut.length}: ${listed(timedOut)}`)
      if (sockets.size > 0) console.log(`  local sockets tried by harmless commands (not changes; the connector's sandbox refuses them): ${[...sockets].map(([path, n]) => `${path}×${n}`).join(' ')}`)
      const riskyEstimate = bashValid.length + quietModifies.length
      console.log(`  false risky (estimate): ${riskyEstimate} = valid bash refused ${bashValid.length}${corpus.estimateRisky ? ` + reading commands refused for \`modifies\` that changed nothing in the sandbox ${quietModifies.length}/${modifiesOnly.length}${quietModifies.length > 0 ? `: ${listed(quietModifies.map((item) => `${item.source}: ${oneLine(item.text)}`))}` : ''}` : ''}`)
      console.log(`  analysis ${ms > 0 ? Math.round((items.length * 1000) / ms).toLocaleString('en') : 0} items/s`)
    }
  } finally {
    sandbox.close()
  }
}
