/** A piece of highlighted text: its class (for the stylesheet) and its exact text. */
export interface Token {
  readonly kind: 'kw' | 'danger' | 'str' | 'com' | 'num' | 'ident' | 'fn' | 'op' | 'cmd' | 'flag' | 'var' | 'text'
  readonly text: string
}

// A hand-written highlighter: it only colors. It never hides, reorders or drops a character, so
// the tokens joined are the input exactly (what runs is what is read), whatever the input is.

const SQL_KEYWORDS = new Set(
  'select from where and or not in is null as on join left right inner outer full cross using group by order having limit offset insert into values returning set with recursive case when then else end distinct union all except intersect exists between like ilike any some create table index view schema database role user function procedure trigger sequence extension if cascade restrict begin commit rollback transaction explain analyze copy primary key references default constraint unique check foreign add column rename to do call execute prepare lock vacuum show true false asc desc nulls first last over partition window filter merge matched conflict nothing only'.split(' '),
)
const SQL_DANGER = new Set(['delete', 'drop', 'truncate', 'update', 'alter', 'grant', 'revoke'])

/** Tokens of SQL: keywords (data-changing ones apart), strings (also dollar-quoted), comments, numbers, names, operators. */
export function sqlTokens(text: string): Token[] {
  const tokens: Token[] = []
  const rules: [RegExp, (match: string) => Token['kind']][] = [
    [/^--[^\n]*/, () => 'com'],
    [/^\/\*[\s\S]*?(?:\*\/|$)/, () => 'com'],
    [/^[Ee]?'(?:[^']|'')*(?:'|$)/, () => 'str'],
    [/^(\$[A-Za-z_]?[A-Za-z0-9_]*\$)[\s\S]*?(?:\1|$)/, () => 'str'],
    [/^"(?:[^"]|"")*(?:"|$)/, () => 'ident'],
    [/^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, () => 'num'],
    [/^[A-Za-z_][A-Za-z0-9_$]*/, (word) => (SQL_DANGER.has(word.toLowerCase()) ? 'danger' : SQL_KEYWORDS.has(word.toLowerCase()) ? 'kw' : 'ident')],
    [/^\s+/, () => 'text'],
    [/^[^\sA-Za-z0-9_'"$-]+|^-|^\$/, () => 'op'],
  ]
  let rest = text
  while (rest.length > 0) {
    let matched = false
    for (const [pattern, kind] of rules) {
      const match = pattern.exec(rest)
      if (!match || match[0] === '') continue
      let tokenKind = kind(match[0])
      if (tokenKind === 'ident' && /^\s*\(/.test(rest.slice(match[0].length)) && !match[0].startsWith('"')) tokenKind = 'fn'
      tokens.push({ kind: tokenKind, text: match[0] })
      rest = rest.slice(match[0].length)
      matched = true
      break
    }
    if (!matched) {
      const character = String.fromCodePoint(rest.codePointAt(0)!)
      tokens.push({ kind: 'text', text: character })
      rest = rest.slice(character.length)
    }
  }
  return merge(tokens)
}

const SHELL_DANGER = new Set(['rm', 'sudo', 'dd', 'mkfs', 'chmod', 'chown', 'kill', 'killall', 'pkill', 'shutdown', 'reboot', 'eval', 'bash', 'sh', 'su', 'doas', 'truncate', 'shred', 'iptables', 'userdel', 'crontab', 'systemctl', 'curl', 'wget', 'nc', 'ssh', 'scp', 'psql', 'mysql', 'kubectl', 'terraform'])
/** After these, the next word is a command. */
const COMMAND_START = /^(?:\|\||&&|[|;&({]|\$\(|`|\n)$/

/** Tokens of a shell command line: commands (risky ones apart), flags, strings, variables, operators, comments. */
export function shellTokens(text: string): Token[] {
  const tokens: Token[] = []
  let expectCommand = true
  let rest = text
  const push = (kind: Token['kind'], value: string) => {
    tokens.push({ kind, text: value })
    rest = rest.slice(value.length)
  }
  while (rest.length > 0) {
    let match: RegExpExecArray | null
    if ((match = /^[ \t]+|^\\\n/.exec(rest))) push('text', match[0])
    else if ((match = /^#[^\n]*/.exec(rest)) && (tokens.length === 0 || /\s$/.test(tokens[tokens.length - 1]!.text))) push('com', match[0])
    else if ((match = /^(?:\|\||&&|;;|>>|&>>|&>|[0-9]?>&?[0-9-]?|<<<|<<-?|<|\$\(|[|;&(){}`\n])/.exec(rest))) {
      push('op', match[0])
      expectCommand = COMMAND_START.test(match[0])
    } else if ((match = /^'[^']*(?:'|$)/.exec(rest))) {
      push('str', match[0])
      expectCommand = false
    } else if ((match = /^"(?:[^"\\]|\\[\s\S])*(?:"|$)/.exec(rest))) {
      push('str', match[0])
      expectCommand = false
    } else if ((match = /^\$(?:\{[^}\n]*\}?|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])/.exec(rest))) {
      push('var', match[0])
      expectCommand = false
    } else if ((match = /^[^\s|;&(){}<>`'"$]+/.exec(rest))) {
      const word = match[0]
      // An assignment before a command (`FOO=bar cmd`) keeps the next word a command.
      if (expectCommand && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) push('var', word)
      else if (expectCommand) {
        const name = word.slice(word.lastIndexOf('/') + 1)
        push(SHELL_DANGER.has(name) ? 'danger' : 'cmd', word)
        // What sudo, env, xargs… run is a command too.
        expectCommand = ['sudo', 'env', 'xargs', 'nohup', 'timeout', 'nice', 'time', 'exec', 'doas'].includes(name)
      } else push(word.startsWith('-') ? 'flag' : 'text', word)
    } else push('text', String.fromCodePoint(rest.codePointAt(0)!))
  }
  return merge(tokens)
}

function merge(tokens: Token[]): Token[] {
  const out: Token[] = []
  for (const token of tokens) {
    const last = out[out.length - 1]
    if (last && last.kind === token.kind && (token.kind === 'text' || token.kind === 'op')) out[out.length - 1] = { kind: last.kind, text: last.text + token.text }
    else out.push(token)
  }
  return out
}
