import type { Node } from 'web-tree-sitter'
import { scanOptions } from './options.js'
import type { Word } from './words.js'

/*
 * Where bash evaluates text as code at run time (bash(1): ARITHMETIC EVALUATION, Parameter
 * Expansion, Conditional Expressions, SHELL BUILTIN COMMANDS, Shell Variables). A variable's
 * value used in arithmetic is itself evaluated as an arithmetic expression, and an array
 * subscript in it runs its command substitutions: `x='a[$(id)]'; echo $((x))` runs `id`. The
 * same holds for every arithmetic context (`((…))`, `$[…]`, `let`, `for ((…))`, subscripts of
 * indexed arrays, `${x:off:len}`, `[[ x -eq y ]]`, integer variables), for names that bash
 * resolves at run time (`${!x}`, `printf -v`, `read`, namerefs, `[[ -v ]]`), for prompt
 * expansion (`${x@P}`, `PS4`), and for builtins that run strings (`mapfile -C`, `compgen -C/-W`).
 * Each function here names the construct when it may evaluate data, or returns null.
 */

/** `$$`, `$#`, `$?`, `$!`: always numbers, never code. */
const NUMERIC_SPECIALS = /\$[$#?!]/g
/** Integer constants bash accepts in arithmetic: `0x1f`, `8#17`, `64#_@`, `42`. */
const INTEGER_CONSTANTS = /\b(?:\d+#[0-9A-Za-z@_]+|0[xX][0-9a-fA-F]+|\d+)\b/g

/**
 * Whether an arithmetic expression reads anything but constants: a variable name (whose value
 * is evaluated in its turn), an expansion or a substitution (whose text is). Quotes are ignored,
 * since `[[ "$x" -eq 0 ]]` evaluates `$x`'s value all the same.
 *
 * @example arithmeticReadsData('i + 1') // true
 * @example arithmeticReadsData('0x10 * 2') // false
 */
export function arithmeticReadsData(text: string): boolean {
  const constants = text.replace(NUMERIC_SPECIALS, '0').replace(INTEGER_CONSTANTS, '0')
  return /[A-Za-z_$`\\]/.test(constants)
}

/** The text of `node`'s children strictly between the first `open` token and the last `close` token. */
function innerText(node: Node, open: string, close: string): string {
  const children = node.children.filter((child): child is Node => child !== null)
  const start = children.findIndex((child) => child.type === open)
  let end = -1
  for (let i = children.length - 1; i > start; i--) {
    if ((children[i] as Node).type === close) {
      end = i
      break
    }
  }
  if (start === -1 || end === -1) return node.text
  return node.text.slice((children[start] as Node).endIndex - node.startIndex, (children[end] as Node).startIndex - node.startIndex)
}

const ARITHMETIC_TESTS: ReadonlySet<string> = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge'])

/**
 * The construct a syntax node evaluates as code, when its text comes from data: arithmetic
 * (`$((x))`, `$[x]`, `((x))`, `for ((…))`), an array subscript (`${a[x]}`, `a[$i]=1`), a
 * substring offset (`${s:x}`), indirection (`${!x}`), prompt expansion (`${x@P}`), a compound
 * assignment with subscripts (`a=([x]=1)`), `[[ x -eq y ]]` and `[[ -v a[x] ]]`. Null otherwise.
 */
export function nodeEvaluates(node: Node): string | null {
  switch (node.type) {
    case 'arithmetic_expansion': {
      const inner = node.text.startsWith('$[') ? innerText(node, '$[', ']') : innerText(node, '$((', '))')
      return arithmeticReadsData(inner) ? `arithmetic on data (${node.text})` : null
    }
    case 'command_substitution':
      // In here-documents tree-sitter reads `$((x))` as `$( (x) )`; bash reads arithmetic.
      if (!/^\$\(\([\s\S]*\)\)$/.test(node.text)) return null
      return arithmeticReadsData(node.text.slice(3, -2)) ? `arithmetic on data (${node.text})` : null
    case 'compound_statement':
      if (node.child(0)?.type !== '((') return null
      return arithmeticReadsData(innerText(node, '((', '))')) ? `arithmetic on data (${node.text})` : null
    case 'c_style_for_statement':
      return arithmeticReadsData(innerText(node, '((', '))')) ? `arithmetic on data (for ((${innerText(node, '((', '))')})))` : null
    case 'subscript':
      return subscriptEvaluates(node)
    case 'expansion':
      return expansionEvaluates(node)
    case 'array':
      return compoundAssignmentEvaluates(node)
    case 'test_command':
      return conditionalEvaluates(node, node.child(0)?.type === '[[')
    default:
      return null
  }
}

function subscriptEvaluates(node: Node): string | null {
  const index = innerText(node, '[', ']').trim()
  if (index === '@' || index === '*') return null
  return arithmeticReadsData(index) ? `array subscript evaluated as arithmetic (${node.text})` : null
}

function expansionEvaluates(node: Node): string | null {
  const children = node.children.filter((child): child is Node => child !== null)
  const bang = children.findIndex((child) => child.type === '!')
  if (bang === 1) {
    // `${!prefix*}` and `${!prefix@}` list names and `${!a[@]}` lists keys; any other `${!…}` reads
    // the variable named by a value, and a name like `a[$(cmd)]` runs cmd.
    const listsNames = children.some((child, i) => i > bang && (child.type === '*' || child.type === '@'))
    const next = children[bang + 1]
    const keys = next?.type === 'subscript' && /^\s*[@*]\s*$/.test(innerText(next, '[', ']'))
    if (!listsNames && !keys) return `indirect expansion (${node.text})`
  }
  const at = children.findIndex((child) => child.type === '@')
  if (at !== -1 && at > 1 && children[at + 1]?.text === 'P') return `prompt expansion (${node.text})`
  const colon = children.findIndex((child) => child.type === ':')
  if (colon !== -1) {
    // `${s:offset:length}`: both are arithmetic expressions.
    const close = children.findLastIndex((child) => child.type === '}')
    const start = (children[colon] as Node).endIndex - node.startIndex
    const end = close === -1 ? node.text.length : (children[close] as Node).startIndex - node.startIndex
    if (arithmeticReadsData(node.text.slice(start, end))) return `substring offset evaluated as arithmetic (${node.text})`
  }
  return null
}

/** `a=([i]=1)`: the subscripts of an indexed array are arithmetic. */
function compoundAssignmentEvaluates(node: Node): string | null {
  for (const child of node.namedChildren) {
    const match = child === null ? null : /^\[([^\]]*)\]\+?=/.exec(child.text)
    if (match !== null && arithmeticReadsData(match[1] as string)) return `array subscript evaluated as arithmetic (${child?.text})`
  }
  return null
}

/**
 * `[[ a -eq b ]]` evaluates both sides as arithmetic (`[ a -eq b ]` does not in bash 5.2, but does
 * in ksh); `[[ -v a[i] ]]` and `[ -v a[i] ]` evaluate the subscript.
 */
function conditionalEvaluates(test: Node, double: boolean): string | null {
  const stack: Node[] = [test]
  while (stack.length > 0) {
    const node = stack.pop() as Node
    const operator = node.children.find((child) => child?.type === 'test_operator')?.text
    if (double && node.type === 'binary_expression' && operator !== undefined && ARITHMETIC_TESTS.has(operator)) {
      const sides = node.namedChildren.filter((child): child is Node => child !== null && child.type !== 'test_operator')
      if (sides.some((side) => arithmeticReadsData(side.text.replace(/["']/g, '')))) return `arithmetic comparison on data (${node.text})`
    }
    if (node.type === 'unary_expression' && operator === '-v') {
      const name = (node.namedChildren.find((child) => child !== null && child.type !== 'test_operator')?.text ?? '').replace(/["']/g, '')
      const reason = nameEvaluates(name, /[$`]/.test(name))
      if (reason !== null) return reason
    }
    for (const child of node.namedChildren) if (child !== null) stack.push(child)
  }
  return null
}

/**
 * Whether a variable name given to a builtin (`read NAME`, `printf -v NAME`, `[[ -v NAME ]]`)
 * is evaluated: a subscript that is not a constant (`a[$(cmd)]`), or a name only known at run
 * time (`read "$x"`), which may be such a subscript.
 */
export function nameEvaluates(name: string, dynamic: boolean): string | null {
  if (dynamic) return `variable name known only at run time (${name})`
  const open = name.indexOf('[')
  if (open === -1) return null
  const index = name.slice(open + 1, name.endsWith(']') ? -1 : undefined)
  if (index === '@' || index === '*' || !arithmeticReadsData(index)) return null
  return `array subscript evaluated as arithmetic (${name})`
}

/**
 * Variables bash (or what it starts) runs as code or takes code from: prompt strings, startup
 * files, exported functions, the search path, the dynamic loader, and the pagers, editors and
 * option variables of common programs.
 */
const CODE_VARIABLES: ReadonlySet<string> = new Set([
  'PROMPT_COMMAND', 'PS0', 'PS1', 'PS2', 'PS3', 'PS4', 'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'BASH_XTRACEFD',
  'PATH', 'BASH_LOADABLES_PATH', 'CDPATH', 'HOME', 'XDG_CONFIG_HOME', 'IFS', 'GLOBIGNORE',
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'GCONV_PATH', 'HOSTALIASES',
  'PAGER', 'MANPAGER', 'MANOPT', 'GIT_PAGER', 'SYSTEMD_PAGER', 'LESSOPEN', 'LESSCLOSE', 'EDITOR', 'VISUAL', 'GIT_EDITOR', 'BROWSER',
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_EXTERNAL_DIFF', 'GIT_ASKPASS', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'GIT_DIR', 'GIT_EXEC_PATH',
  'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_TEMPLATE_DIR',
  'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'NODE_OPTIONS', 'NODE_PATH', 'RUBYOPT', 'RUBYLIB',
  'TAR_OPTIONS', 'ZIPOPT', 'UNZIP', 'GREP_OPTIONS', 'AWKPATH', 'PROMPT', 'RPROMPT', 'ZDOTDIR',
])
/** Variables whose value bash evaluates as arithmetic when assigned (found with bash 5.2). */
const ARITHMETIC_VARIABLES: ReadonlySet<string> = new Set(['RANDOM', 'SRANDOM', 'OPTIND', 'HISTCMD', 'SECONDS', 'LINENO', 'BASH_ARGV0'])

/**
 * The construct an assignment `NAME=value` (prefix, plain, `export`, `env`) makes evaluate as
 * code: a variable bash or a program runs as code (`PROMPT_COMMAND`, `PS4`, `BASH_ENV`,
 * `BASH_FUNC_f%%`, `PATH`, `LD_PRELOAD`, `GIT_PAGER`…), or an arithmetic variable given data.
 */
export function assignmentEvaluates(assignment: string): string | null {
  const match = /^([A-Za-z_][A-Za-z0-9_]*|BASH_FUNC_[^=]*)(\[[^\]]*\])?\+?=(.*)$/s.exec(assignment)
  if (match === null) return null
  const name = match[1] as string
  if (CODE_VARIABLES.has(name) || name.startsWith('BASH_FUNC_') || name.startsWith('GIT_CONFIG_') || name.startsWith('LD_')) {
    return `sets a variable run as code (${name})`
  }
  if (ARITHMETIC_VARIABLES.has(name) && arithmeticReadsData(match[3] as string)) return `arithmetic on data (${name}=${match[3] as string})`
  return null
}

/** Builtins whose listed options name a variable. */
const NAME_OPTIONS: Readonly<Record<string, string>> = { printf: 'v', read: 'a', mapfile: '', readarray: '', wait: 'p' }

/**
 * The construct a simple command makes bash evaluate as code: `let`, `source`, `mapfile -C`,
 * `compgen`/`complete` with `-C`, `-F` or `-W`, `alias`, `enable -f`, `hash -p`, `fc`,
 * `bind -x`, and variable names with subscripts given to `printf -v`, `read`, `mapfile`,
 * `getopts`, `unset`, `wait -p`, `test -v`. `program` is the basename; null for anything else.
 */
export function commandEvaluates(program: string, args: readonly Word[]): string | null {
  const texts = args.map((arg) => arg.text)
  const line = [program, ...texts].join(' ')
  switch (program) {
    case 'let':
      return args.some((arg) => arithmeticReadsData(arg.text)) ? `arithmetic on data (${line})` : null
    case 'source':
    case '.':
      return `runs a file as shell code (${line})`
    case 'alias':
      return texts.some((text) => text.includes('=')) ? `defines an alias (${line})` : null
    case 'enable':
      return texts.some((text) => /^-[a-zA-Z]*f/.test(text)) ? `loads a builtin from a file (${line})` : null
    case 'hash':
      return texts.some((text) => /^-[a-zA-Z]*p/.test(text)) ? `points a command name at another file (${line})` : null
    case 'fc':
      return texts.some((text) => /^-[a-zA-Z]*l/.test(text)) ? null : `runs commands from history (${line})`
    case 'bind':
      return texts.some((text) => /^-[a-zA-Z]*x/.test(text)) ? `binds a key to shell code (${line})` : null
    case 'compgen':
    case 'complete':
      return texts.some((text) => /^-[a-zA-Z]*[CFW]/.test(text)) ? `runs completion code (${line})` : null
    case 'shopt':
      return texts.includes('expand_aliases') || texts.includes('extdebug') ? `changes how commands are read (${line})` : null
    case 'declare':
    case 'typeset':
    case 'local':
    case 'readonly':
    case 'export': {
      // Every argument is read again as an assignment: a subscript or compound value in it is evaluated.
      const flags = texts.filter((text) => text.startsWith('-'))
      const evaluated = texts.find((text) => !text.startsWith('-') && declarationArgumentEvaluates(text))
      return evaluated === undefined ? declarationEvaluates(program, flags, []) : `declaration parsed from data (${program} ${evaluated})`
    }
  }
  if (program === 'mapfile' || program === 'readarray') {
    const options = scanOptions(texts, { short: 'dnOsuCc' })
    if (options.seen.has('C')) return `runs a callback on data (${line})`
  }
  return namesEvaluated(program, args, line)
}

function namesEvaluated(program: string, args: readonly Word[], line: string): string | null {
  const texts = args.map((arg) => arg.text)
  const names: Word[] = []
  if (program === 'test' || program === '[') {
    texts.forEach((text, i) => {
      if (text === '-v' && args[i + 1] !== undefined) names.push(args[i + 1] as Word)
    })
  } else if (program === 'unset' || program === 'getopts') {
    names.push(...args.filter((arg) => !arg.text.startsWith('-')).slice(program === 'getopts' ? 1 : 0, program === 'getopts' ? 2 : undefined))
  } else if (program in NAME_OPTIONS) {
    const short = { printf: 'v', read: 'adinNptu', mapfile: 'dnOsuCc', readarray: 'dnOsuCc', wait: 'p' }[program] ?? ''
    const options = scanOptions(texts, { short })
    const option = NAME_OPTIONS[program] as string
    if (option !== '' && options.seen.has(option)) {
      const value = options.seen.get(option) as string
      names.push(args.find((arg) => arg.text === value || arg.text.endsWith(value)) ?? { text: value, dynamic: false })
    }
    if (program === 'read' || program === 'mapfile' || program === 'readarray') names.push(...args.slice(options.operand))
  }
  for (const name of names) {
    const reason = nameEvaluates(name.text, name.dynamic)
    if (reason !== null) return `${reason} in ${line}`
  }
  return null
}

/**
 * `declare`/`typeset`/`local` with `-i` (assignments become arithmetic) or `-n` (a nameref, whose
 * target name may carry a subscript), or given a word from an expansion that is not a plain
 * assignment (`declare "$x"`, `declare -a "a=($x)"`, which bash parses again), or quoted text
 * bash parses again as a subscripted or compound assignment (`reparsed`: the quoted arguments and
 * quoted values of the declaration).
 */
export function declarationEvaluates(keyword: string, flags: readonly string[], unparsedDynamic: readonly string[]): string | null {
  const attributes = keyword === 'declare' || keyword === 'typeset' || keyword === 'local'
  const flag = flags.find((text) => /^-[a-zA-Z]*[in]/.test(text))
  if (attributes && flag !== undefined) return `declares an integer or reference variable (${keyword} ${flag})`
  const word = unparsedDynamic[0]
  if (word !== undefined) return `declaration parsed from data (${keyword} ${word})`
  return null
}

/**
 * Whether bash, reading a declaration's argument (as written, quotes included) again as an
 * assignment, evaluates part of it: a subscript that is not a constant (`declare 'a[$(cmd)]=1'`
 * is arithmetic on data), or a compound value with expansions or subscripts (`declare -a
 * a='([$(cmd)]=1)'`, `declare -a a='($(cmd))'`). Quoting hides these from the parse, not from
 * bash. A value that opens with `(` counts as compound with or without -a, as the variable may
 * already be an array.
 */
function declarationArgumentEvaluates(text: string): boolean {
  const unquoted = text.replace(/['"]/g, '')
  const equals = unquoted.indexOf('=')
  const name = equals < 0 ? unquoted : unquoted.slice(0, equals)
  const subscript = /\[(.*)\]/s.exec(name)
  if (subscript && arithmeticReadsData(subscript[1]!)) return true
  if (equals < 0) return false
  const value = unquoted.slice(equals + 1).trimStart()
  return value.startsWith('(') && /[$`\[]/.test(value)
}
