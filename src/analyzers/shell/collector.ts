import type { Node, Parser } from 'web-tree-sitter'
import { assignmentEvaluates, commandEvaluates, declarationEvaluates, nodeEvaluates } from './evaluation.js'
import type { ShellProgramArgFacts, ShellRedirectFacts } from './facts.js'
import { chainOf, innermost } from './found-command.js'
import type { Collected, FoundCommand, PipeSlot } from './found-command.js'
import { Pipelines } from './pipelines.js'
import { programEffects } from './program-effects.js'
import { extraWords, readFileRedirect, REDIRECT_TYPES } from './redirects.js'
import { containsSensitivePath, isSensitivePath } from './sensitive-paths.js'
import { isShell } from './shells.js'
import { parseWithRepairs } from './bash-repairs.js'
import { describeFirstError } from './syntax-errors.js'
import { fedTo, newScope, noPipe, top } from './walk-context.js'
import type { Context, FeedSource } from './walk-context.js'
import { basename, decodeAnsiC, evaluateWord, literal } from './words.js'
import type { Word } from './words.js'
import { unwrap } from './wrappers.js'

/** Code strings inside code strings (`bash -c "eval '…'"`) are followed this deep. */
const MAX_CODE_DEPTH = 8
/** Syntax trees are walked this deep; deeper input sets `parse_error` rather than exhausting the stack. */
const MAX_TREE_DEPTH = 1000
/** Wrappers are unwrapped this many times in a row (`sudo sudo sudo …`). */
const MAX_WRAPPERS = 64

/** Programs that run what they are given as code; a download in their arguments runs. */
const CODE_READERS: ReadonlySet<string> = new Set(['eval', 'source', '.', 'python', 'python3', 'perl', 'ruby', 'node', 'php'])
const DOWNLOADERS: ReadonlySet<string> = new Set(['curl', 'wget', 'fetch'])
/** Programs that read whole directory trees, so a directory holding a secret file is as good as the file. */
const RECURSIVE_READERS: ReadonlySet<string> = new Set(['rg', 'ag', 'ack', 'rgrep', 'ugrep'])
const GREPS: ReadonlySet<string> = new Set(['grep', 'egrep', 'fgrep', 'zgrep', 'git-grep'])
/** Loops whose end depends on what happens at run time. */
const OPEN_LOOPS: ReadonlySet<string> = new Set(['while_statement', 'until_statement', 'c_style_for_statement'])
/** Node types `nodeEvaluates` looks at. */
const EVALUATING: ReadonlySet<string> = new Set(['arithmetic_expansion', 'command_substitution', 'compound_statement', 'c_style_for_statement', 'subscript', 'expansion', 'array', 'test_command'])

/**
 * Walks bash syntax trees and collects every command that would run. The walk is generic — it
 * descends into every named child of node types it does not handle specially — so a construct
 * this code does not know cannot hide a command.
 */
export class CommandCollector {
  private readonly commands: FoundCommand[] = []
  private readonly redirects: ShellRedirectFacts[] = []
  private readonly codeVia = new Set<string>()
  private readonly downloadsRun: string[] = []
  private readonly pipelines = new Pipelines()
  private hasSubstitution = false
  private parseError = ''
  private readonly evaluations: string[] = []
  private readonly runsCode: ShellProgramArgFacts[] = []
  private readonly modifies: ShellProgramArgFacts[] = []
  private readonly globs = new Set<string>()
  private readonly sensitivePaths = new Set<string>()
  private unbounded = false

  constructor(private readonly parser: Parser) {}

  /** Collects from a command line as typed. */
  fromSource(source: string): Collected {
    this.parseCode(source, top(), '')
    return this.result()
  }

  /** Collects from an argument vector, run without a shell. */
  fromArgv(argv: readonly string[]): Collected {
    if (argv.length > 0) this.addCommand(argv.map(literal), top(), 0)
    return this.result()
  }

  /** Records the first problem only: the one a reader fixes first. */
  fail(message: string): void {
    if (this.parseError === '') this.parseError = message
  }

  /** What has been collected so far. */
  result(): Collected {
    return {
      commands: this.commands,
      redirects: this.redirects,
      hasSubstitution: this.hasSubstitution,
      parseError: this.parseError,
      codeVia: [...this.codeVia],
      downloadsRun: this.downloadsRun,
      pipes: this.pipelines.elements,
      evaluations: this.evaluations,
      runsCode: this.runsCode,
      modifies: this.modifies,
      unbounded: this.unbounded,
      globs: [...this.globs],
      sensitivePaths: [...this.sensitivePaths],
    }
  }

  /** Records a construct where bash evaluates text as code at run time (`dynamic`). */
  private evaluates(construct: string | null): void {
    if (construct !== null && !this.evaluations.includes(construct)) this.evaluations.push(construct)
  }

  /** Records a word the shell expands (a glob, brace, tilde or expansion), and whether it may name a secret file. */
  private noteWord(word: Word, recursive = false): void {
    const expands = word.dynamic || word.tilde === true
    if (expands) this.globs.add(word.text)
    if (recursive ? containsSensitivePath(word.text, expands) : isSensitivePath(word.text, expands)) this.sensitivePaths.add(word.text)
  }

  private parseCode(code: string, ctx: Context, where: string): void {
    if (ctx.depth > MAX_CODE_DEPTH) return this.fail(`${where}nesting too deep`)
    const parsed = parseWithRepairs(this.parser, code)
    if (parsed === null) return this.fail(`${where}could not be parsed`)
    const { tree, hasError, readWrite } = parsed
    try {
      const root = tree.rootNode
      if (hasError) this.fail(where + describeFirstError(root))
      this.walk(root, { ...ctx, pipe: null, scope: newScope(readWrite) }, 0)
    } finally {
      // Trees live in WASM memory, which the garbage collector does not see.
      tree.delete()
    }
  }

  private runCode(code: string, via: string, ctx: Context): void {
    this.codeVia.add(via)
    if (ctx.depth >= MAX_CODE_DEPTH) this.evaluates(`code nested too deep to follow (${via})`)
    this.parseCode(code, { ...ctx, depth: ctx.depth + 1 }, `in ${via} string: `)
  }

  private walk(node: Node, ctx: Context, level: number): void {
    if (level > MAX_TREE_DEPTH) return this.fail('nesting too deep')
    if (EVALUATING.has(node.type)) this.evaluates(nodeEvaluates(node))
    if (OPEN_LOOPS.has(node.type)) this.unbounded = true
    switch (node.type) {
      case 'variable_assignment':
        this.evaluates(assignmentEvaluates(node.text))
        break
      case 'command':
        return this.walkCommand(node, ctx, level)
      case 'declaration_command':
      case 'unset_command':
        return this.walkBuiltin(node, ctx, level)
      case 'pipeline':
        return this.walkPipeline(node, ctx, level)
      case 'redirected_statement':
        return this.walkRedirected(node, ctx, level)
      case 'file_redirect':
      case 'heredoc_redirect':
      case 'herestring_redirect':
        return this.redirect(node, null, ctx, level, false)
      case 'comment':
        return
      case 'command_substitution':
      case 'process_substitution':
        this.hasSubstitution = true
        break
    }
    this.walkChildren(node, node.type === 'negated_command' ? ctx : noPipe(ctx), level)
  }

  private walkChildren(node: Node, ctx: Context, level: number): void {
    for (const child of node.namedChildren) if (child) this.walk(child, ctx, level + 1)
  }

  private walkCommand(node: Node, ctx: Context, level: number): void {
    let name: Node | null = null
    const prefix: Node[] = []
    const args: Node[] = []
    const redirects: Node[] = []
    for (const child of node.namedChildren) {
      if (!child || child.type === 'comment') continue
      if (REDIRECT_TYPES.has(child.type)) redirects.push(child)
      else if (name === null && child.type === 'command_name') name = child
      else if (name === null) prefix.push(child)
      else args.push(child)
    }
    args.push(...(ctx.scope.extraArgs.get(node.id) ?? []))
    const inside = noPipe(ctx)
    // Assignments and substitutions before the name run first.
    for (const child of prefix) this.walk(child, inside, level + 1)
    // A MISSING name (`foo &&` at the end) has no text: nothing runs there.
    const found = name !== null && name.text !== '' ? this.addCommand([evaluateWord(name), ...args.map(evaluateWord)], ctx, 0) : null
    if (found !== null) ctx.scope.byNode.set(node.id, found)
    if (name !== null) this.walk(name, inside, level + 1)
    const before = this.commands.length
    for (const child of args) this.walk(child, inside, level + 1)
    if (found !== null) this.noteDownloadsRun(found, before)
    for (const child of redirects) this.redirect(child, found, ctx, level + 1, true)
  }

  /** `export`, `declare`, `local`, `readonly`, `typeset`, `unset`: builtins tree-sitter does not call commands. */
  private walkBuiltin(node: Node, ctx: Context, level: number): void {
    const keyword = node.child(0)?.text ?? node.type
    const args = node.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment')
    const flags = args.filter((child) => child.type === 'word' && child.text.startsWith('-')).map((child) => child.text)
    // A word that is not parsed as an assignment but has expansions is parsed by bash at run time.
    const unparsed = args.filter((child) => child.type !== 'variable_assignment' && child.type !== 'variable_name' && evaluateWord(child).dynamic)
    this.evaluates(declarationEvaluates(keyword, flags, unparsed.map((child) => child.text)))
    this.walkChildren(node, noPipe(ctx), level)
    this.addCommand([literal(keyword), ...args.map(evaluateWord)], ctx, 0)
  }

  private walkPipeline(node: Node, ctx: Context, level: number): void {
    this.walkElements(node, ctx, { id: this.pipelines.start(), index: 0 }, level)
  }

  /** Walks a pipeline's elements from `first` on, then settles what they fed each other. */
  private walkElements(node: Node, ctx: Context, first: PipeSlot, level: number): void {
    let index = first.index
    for (const child of node.namedChildren) {
      if (!child || child.type === 'comment') continue
      this.walk(child, { ...ctx, pipe: { id: first.id, index: index++ } }, level + 1)
    }
    for (const { feed, reader } of this.pipelines.close<FeedSource>(first.id)) {
      const { ctx: source, data, level: at } = feed.extra
      if (reader !== undefined) this.runCode(feed.text, `| ${reader.fact.program}`, fedTo(reader, source))
      else if (data !== null) this.walkChildren(data, noPipe(source), at)
    }
  }

  private walkRedirected(node: Node, ctx: Context, level: number): void {
    const body = node.childForFieldName('body')
    const redirects: Node[] = []
    for (const child of node.namedChildren) {
      if (!child || child.id === body?.id) continue
      if (REDIRECT_TYPES.has(child.type)) redirects.push(child)
      else this.walk(child, noPipe(ctx), level + 1)
    }
    const consumerNode = body === null ? null : body.type === 'command' ? body : body.type === 'pipeline' ? lastCommand(body) : null
    if (consumerNode !== null) ctx.scope.extraArgs.set(consumerNode.id, redirects.flatMap(extraWords))
    if (body !== null) this.walk(body, ctx, level + 1)
    const consumer = consumerNode === null ? null : (ctx.scope.byNode.get(consumerNode.id) ?? null)
    for (const child of redirects) this.redirect(child, consumer, ctx, level + 1, consumerNode !== null)
  }

  /** Records a command, then what it runs in its turn when it is a wrapper. */
  private addCommand(argv: readonly Word[], ctx: Context, wrappers: number): FoundCommand {
    const name = argv[0] as Word
    const program = name.dynamic ? name.text : basename(name.text)
    const found: FoundCommand = {
      fact: { program, path: name.text, args: argv.slice(1).map((arg) => arg.text), sudo: ctx.runsAs !== null },
      dynamic: name.dynamic,
      runsAs: ctx.runsAs,
      elevates: null,
      hidden: false,
      inner: null,
      readsStdin: false,
      pipe: ctx.pipe,
    }
    this.commands.push(found)
    this.pipelines.join(found)
    const recursive = RECURSIVE_READERS.has(program) || (GREPS.has(program) && argv.some((arg) => /^-[a-zA-Z]*[rR]|^--recursive$|^--dereference-recursive$|^--directories=recurse$/.test(arg.text)))
    for (const word of argv) this.noteWord(word, recursive)
    if (!name.dynamic) {
      this.noteEffects(found, argv.slice(1), ctx)
      this.unwrapInto(found, argv, ctx, wrappers)
    }
    if (ctx.pipe !== null && (program === 'echo' || program === 'printf')) {
      const first = program === 'echo' ? found.fact.args.findIndex((arg) => !/^-[neE]+$/.test(arg)) : 0
      // Escapes decoded either way: over-reading `echo 'a\nb'` as two commands errs on the side of seeing more.
      const text = first === -1 ? '' : decodeAnsiC(found.fact.args.slice(first).join(' '))
      if (text !== '') this.pipelines.defer<FeedSource>(ctx.pipe, text, { ctx, data: null, level: 0 })
    }
    return found
  }

  /** What the program does through its arguments: code it runs, changes it makes, whether it ends. */
  private noteEffects(found: FoundCommand, args: readonly Word[], ctx: Context): void {
    const program = found.fact.program
    this.evaluates(commandEvaluates(program, args))
    if (program === 'env' || program === 'sudo' || program === 'doas' || program === 'run0') {
      for (const arg of args) this.evaluates(assignmentEvaluates(arg.text))
    }
    const effects = programEffects(program, args)
    for (const arg of effects.runsCode) this.runsCode.push({ program, arg })
    for (const arg of effects.modifies) this.modifies.push({ program, arg })
    if (effects.unbounded) this.unbounded = true
    this.evaluates(effects.evaluates)
    for (const code of effects.code) this.runCode(code.text, program, noPipe(ctx))
  }

  private unwrapInto(found: FoundCommand, argv: readonly Word[], ctx: Context, wrappers: number): void {
    const unwrapped = unwrap(found.fact.program, argv.slice(1))
    if (unwrapped === null) return
    if (wrappers >= MAX_WRAPPERS) return this.fail('nesting too deep')
    found.readsStdin = unwrapped.readsStdin
    found.elevates = unwrapped.runsAs
    const inner: Context = unwrapped.runsAs === null ? ctx : { ...ctx, runsAs: unwrapped.runsAs }
    for (const run of unwrapped.run) {
      const child = this.addCommand(run, inner, wrappers + 1)
      found.inner ??= child
    }
    found.hidden = unwrapped.transparent && (found.inner !== null || unwrapped.code.length > 0)
    for (const code of unwrapped.code) {
      this.runsCode.push({ program: found.fact.program, arg: code.text })
      // `eval "$x"`, `bash -c "echo $y"`: the text run is only known once expanded.
      if (code.dynamic) this.evaluates(`${unwrapped.via} string known only at run time (${code.text})`)
      this.runCode(code.text, unwrapped.via, noPipe(inner))
    }
  }

  /** A download inside the arguments of a shell or interpreter (`bash <(curl …)`, `sh -c "$(wget …)"`) runs as code. */
  private noteDownloadsRun(found: FoundCommand, firstInArgs: number): void {
    const reader = chainOf(found).find((c) => isShell(c.fact.program) || CODE_READERS.has(c.fact.program))
    if (reader === undefined) return
    for (const download of this.commands.slice(firstInArgs)) {
      if (DOWNLOADERS.has(download.fact.program)) this.downloadsRun.push(`${download.fact.program} → ${reader.fact.program}`)
    }
  }

  private redirect(node: Node, consumer: FoundCommand | null, ctx: Context, level: number, extrasTaken: boolean): void {
    const inside = noPipe(ctx)
    if (node.type === 'file_redirect') {
      const { fact, target, extra } = readFileRedirect(node, ctx.scope.readWrite)
      if (fact !== null) this.redirects.push(fact)
      // bash itself opens a connection for `/dev/tcp/HOST/PORT` and `/dev/udp/…`, whatever the operator.
      if (fact !== null && /^\/dev\/(tcp|udp)\//.test(fact.target)) this.modifies.push({ program: consumer?.fact.program ?? 'bash', arg: `${fact.op} ${fact.target}` })
      if (fact !== null && target !== undefined) this.noteWord(evaluateWord(target))
      if (target !== undefined) this.walk(target, inside, level + 1)
      if (!extrasTaken) for (const child of extra) this.walk(child, inside, level + 1)
      return
    }
    if (node.type === 'herestring_redirect') {
      const value = node.namedChildren.find((child) => child !== null && child.type !== 'comment')
      const text = value ? evaluateWord(value).text : ''
      if (this.feed(consumer, text, '<<<', { ctx, data: node, level }) === 'data') this.walkChildren(node, inside, level)
      return
    }
    this.heredoc(node, consumer, ctx, level, extrasTaken)
  }

  private heredoc(node: Node, consumer: FoundCommand | null, ctx: Context, level: number, extrasTaken: boolean): void {
    const inside = noPipe(ctx)
    const taken = new Set(extrasTaken ? node.childrenForFieldName('argument').map((child) => child?.id) : [])
    const stripTabs = node.children.some((child) => child?.type === '<<-')
    let continuation: Node | null = null
    const others: Node[] = []
    let body: Node | null = null
    for (const child of node.namedChildren) {
      if (!child || taken.has(child.id) || child.type === 'heredoc_start' || child.type === 'heredoc_end') continue
      if (child.type === 'heredoc_body') body = child
      // tree-sitter hangs the rest of the pipeline (`cat <<EOF | sh`) on the here-document.
      else if (child.type === 'pipeline' && continuation === null && consumer !== null) continuation = child
      else others.push(child)
    }
    const pipe = continuation !== null && consumer !== null ? this.pipelines.reopen(consumer) : null
    if (body !== null) {
      const text = stripTabs ? body.text.replace(/^\t+/gm, '') : body.text
      // Expansions in an unquoted here-document run even when the body is data.
      if (this.feed(consumer, text, '<<EOF', { ctx, data: body, level }) === 'data') this.walkChildren(body, inside, level)
    }
    if (continuation !== null && pipe !== null) this.walkElements(continuation, ctx, { id: pipe.id, index: pipe.index + 1 }, level)
    for (const child of others) this.walk(child, inside, level + 1)
  }

  /**
   * Text going to `consumer`'s standard input. It is code when the consumer is a shell reading
   * its program from stdin, or when the consumer is `cat` piped into one; the latter is decided
   * once the pipeline is walked (`'deferred'`).
   */
  private feed(consumer: FoundCommand | null, text: string, how: string, source: FeedSource): 'code' | 'deferred' | 'data' {
    if (consumer === null) return 'data'
    const shell = chainOf(consumer).find((c) => c.readsStdin)
    if (shell !== undefined) {
      this.runCode(text, `${shell.fact.program} ${how}`, fedTo(shell, source.ctx))
      return 'code'
    }
    const end = innermost(consumer)
    if (consumer.pipe === null || end.fact.program !== 'cat' || !end.fact.args.every((arg) => arg === '-')) return 'data'
    if (this.pipelines.isOpen(consumer.pipe.id)) {
      this.pipelines.defer(consumer.pipe, text, source)
      return 'deferred'
    }
    const reader = this.pipelines.readerAfter(consumer.pipe)
    if (reader === undefined) return 'data'
    this.runCode(text, `| ${reader.fact.program}`, fedTo(reader, source.ctx))
    return 'code'
  }
}

function lastCommand(pipeline: Node): Node | null {
  const last = pipeline.lastNamedChild
  return last?.type === 'command' ? last : null
}
