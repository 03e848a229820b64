import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analyzer } from '../analyzer.js'
import type { ShellFacts } from './index.js'
import { loadShellAnalyzer } from './index.js'

let shell: Analyzer<ShellFacts>
before(async () => {
  shell = await loadShellAnalyzer()
})

const facts = (command: string): ShellFacts => shell.analyze({ command }).facts

describe('valid bash the grammar refuses is read as bash reads it', () => {
  const valid: readonly [string, string, readonly string[]][] = [
    ['a read-write redirect', 'exec 4<>scratch.fifo; echo ready >&4', ['exec', 'echo']],
    ['a read-write redirect with a command', 'wc -c 5<>notes.txt', ['wc']],
    ['`[` with a quoted parenthesis', `[ '(' abc ")" ] && echo paren`, ['[', 'echo']],
    ['`[` with escaped comparison operators', 'if [ left \\< right ]; then echo before; fi', ['[', 'echo']],
    ['`[` with grouping', '[ \\( 1 = 1 \\) -o \\( 2 = 3 \\) ] || exit 3', ['[', 'exit']],
    ['`done }` without a separator', '{ for n in 1 2; do echo "$n"; done } | sort -r', ['echo', 'sort']],
    ['`) done` without a separator', 'for d in a b; do (cd "$d" && pwd) done', ['cd', 'pwd']],
    ['`) fi` without a separator', 'if test -d logs; then (ls logs) fi', ['test', 'ls']],
    ['`}` after a nested group', '{ { uptime; } }', ['uptime']],
  ]
  for (const [what, command, programs] of valid) {
    it(`parses ${what}: ${command}`, () => {
      const found = facts(command)
      assert.equal(found.parse_error, '')
      assert.deepEqual(found.programs, programs)
    })
  }

  it('reports `<>` as its own operator, never as a read', () => {
    assert.deepEqual(facts('sort 3<>out.txt').redirects, [{ op: '3<>', target: 'out.txt' }])
  })

  it('runs `[` as the command it is, its words checked like any arguments', () => {
    const found = facts(`[ '(' ~/.aws/credentials ")" ]`)
    assert.deepEqual(found.commands[0]?.args, ['(', '~/.aws/credentials', ')', ']'])
    assert.deepEqual(found.sensitive_paths, ['~/.aws/credentials'])
  })

  it('leaves text in quotes, comments and here-documents as written', () => {
    const found = facts(`echo "x; [ y" '<>' 4<>f # and [ z`)
    assert.equal(found.parse_error, '')
    assert.deepEqual(found.commands[0]?.args, ['x; [ y', '<>'])
  })
})

describe('what bash refuses stays a parse error', () => {
  const invalid: readonly [string, string][] = [
    ['`}` after a simple command is its argument', '{ echo a }'],
    ['`fi` after a simple command is its argument', 'if true; then echo a fi'],
    ['`done` after a simple command', 'while read x; do echo $x done'],
    ['`}` after `[ … ]` is an argument of `[`', '{ [ -f x ] }'],
    ['`<>` at the start of a here-document operator', 'cat <<>x'],
    ['an unfinished `[` in a broken list', '[ a = b ] &&'],
  ]
  for (const [what, command] of invalid) {
    it(`${what}: ${command}`, () => {
      assert.notEqual(facts(command).parse_error, '')
    })
  }

  it('keeps the error of the original text when the rewrite does not parse either', () => {
    assert.match(facts('exec 5<>f; if then fi').parse_error, /^syntax error at line 1, column 7/)
  })
})

describe('network and remote execution behind reading programs', () => {
  it('a redirect from /dev/tcp opens a connection: modifies', () => {
    assert.deepEqual(facts('cat < /dev/tcp/example.org/80').modifies, [{ program: 'cat', arg: '< /dev/tcp/example.org/80' }])
    assert.deepEqual(facts('exec 3<>/dev/udp/10.0.0.1/53').modifies, [{ program: 'exec', arg: '3<> /dev/udp/10.0.0.1/53' }])
    assert.deepEqual(facts('date > /dev/tcp/h/9').modifies, [{ program: 'date', arg: '> /dev/tcp/h/9' }])
  })

  it('systemd tools given -H/--host run over ssh: runs_code', () => {
    assert.deepEqual(facts('loginctl list-sessions -H admin@db1').runs_code, [{ program: 'loginctl', arg: '--host admin@db1' }])
    assert.deepEqual(facts('systemctl --host=web2 status nginx').runs_code, [{ program: 'systemctl', arg: '--host web2' }])
    assert.deepEqual(facts('timedatectl -Hweb3').runs_code, [{ program: 'timedatectl', arg: '--host web3' }])
    assert.deepEqual(facts('systemctl status nginx').runs_code, [])
  })

  it('`ip mo` is `ip monitor`: unbounded', () => {
    assert.equal(facts('ip mo').unbounded, true)
    assert.equal(facts('ip mon all').unbounded, true)
    assert.equal(facts('ip m').unbounded, false)
  })
})
