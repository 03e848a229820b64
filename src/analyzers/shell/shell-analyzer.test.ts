import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { Analysis, Analyzer } from '../analyzer.js'
import type { ShellFacts } from './index.js'
import { loadShellAnalyzer } from './index.js'

let shell: Analyzer<ShellFacts>
before(async () => {
  shell = await loadShellAnalyzer()
})

const analyze = (command: string): Analysis<ShellFacts> => shell.analyze({ command })
const programs = (command: string): readonly string[] => analyze(command).facts.programs
/** Each command as `program arg…`, with ` (sudo)` when elevated: compact to compare in tables. */
const lines = (facts: ShellFacts): string[] => facts.commands.map((c) => [c.program, ...c.args].join(' ') + (c.sudo ? ' (sudo)' : ''))

describe('programs found wherever bash runs them', () => {
  const cases: readonly [string, string, readonly string[]][] = [
    ['a simple command', 'ls -la', ['ls']],
    ['$(…) substitution', 'echo $(rm -rf /tmp/x)', ['echo', 'rm']],
    ['backticks', 'echo `id`', ['echo', 'id']],
    ['input process substitution', 'diff <(sort a) b', ['diff', 'sort']],
    ['output process substitution', 'tee >(gzip > f.gz)', ['tee', 'gzip']],
    ['a substitution inside double quotes', 'echo "user: $(whoami)"', ['echo', 'whoami']],
    ['a substitution in a parameter default', 'echo ${X:-$(hostname)}', ['echo', 'hostname']],
    ['a substitution in arithmetic', 'echo $((1 + $(wc -l < f)))', ['echo', 'wc']],
    ['a substitution in an assignment', 'X=$(date)', ['date']],
    ['a substitution in a redirect target', 'echo hi > "$(mktemp)"', ['echo', 'mktemp']],
    ['pipes', 'ps aux | grep ssh | wc -l', ['ps', 'grep', 'wc']],
    ['|& pipes', 'make |& tee log', ['make', 'tee']],
    ['&& and || lists', 'a && b || c', ['a', 'b', 'c']],
    ['; and & lists', 'a; b & c', ['a', 'b', 'c']],
    ['if/elif/else', 'if a; then b; elif c; then d; else e; fi', ['a', 'b', 'c', 'd', 'e']],
    ['while loops', 'while read l; do echo "$l"; done < f', ['read', 'echo']],
    ['until loops', 'until ping -c1 h; do sleep 1; done', ['ping', 'sleep']],
    ['for loops and their word lists', 'for f in $(ls); do rm "$f"; done', ['ls', 'rm']],
    ['C-style for loops', 'for ((i=0; i<3; i++)); do touch $i; done', ['touch']],
    ['case branches', 'case $x in a) start;; *) stop;; esac', ['start', 'stop']],
    ['function bodies', 'f() { rm -rf /; }; f', ['rm', 'f']],
    ['function keyword bodies', 'function g { shutdown now; }', ['shutdown']],
    ['subshells', '(cd /tmp && rm x)', ['cd', 'rm']],
    ['{ …; } groups', '{ echo a; rm b; } > log', ['echo', 'rm']],
    ['negated commands', '! grep -q x f', ['grep']],
    ['[[ … ]] tests', '[[ -n $(id -u) ]]', ['id']],
    ['[ … ] tests', '[ -f $(which x) ] && rm x', ['which', 'rm']],
    ['export and other declarations', 'export PATH=/tmp:$PATH; local x; unset y', ['export', 'local', 'unset']],
    ['comments, which run nothing', 'ls # $(rm -rf /)', ['ls']],
    ['line continuations', 'rm \\\n  -rf /tmp/x', ['rm']],
    ['several lines', 'cd /srv\ngit pull\nmake install', ['cd', 'git', 'make']],
  ]
  for (const [construct, command, expected] of cases) {
    it(`finds programs in ${construct}: ${JSON.stringify(command)}`, () => {
      assert.deepEqual(programs(command), expected)
    })
  }

  it('lists a program once in programs but every run in commands', () => {
    const { facts } = analyze('rm a; rm b')
    assert.deepEqual(facts.programs, ['rm'])
    assert.deepEqual(lines(facts), ['rm a', 'rm b'])
  })
})

describe('code in strings is parsed as bash', () => {
  const cases: readonly [string, string, readonly string[]][] = [
    ['bash -c', "bash -c 'rm -rf /'", ['bash', 'rm']],
    ['sh -c with double quotes', 'sh -c "cd /tmp && rm x"', ['sh', 'cd', 'rm']],
    ['zsh -c', "zsh -c 'curl x'", ['zsh', 'curl']],
    ['dash -c', "dash -c 'wget y'", ['dash', 'wget']],
    ['options before -c', "bash -o pipefail -xe -c 'a | b'", ['bash', 'a', 'b']],
    ['-c inside an option cluster', "bash -lc 'make'", ['bash', 'make']],
    ['an absolute shell path', "/bin/sh -c 'reboot'", ['sh', 'reboot']],
    ['nested quoting', `bash -c "sh -c 'rm -rf /tmp/\\"x y\\"'"`, ['bash', 'sh', 'rm']],
    ['three levels deep', `bash -c "sh -c \\"dash -c 'id'\\""`, ['bash', 'sh', 'dash', 'id']],
    ['eval strings', 'eval "rm -rf $DIR"', ['eval', 'rm']],
    ['eval of several words', 'eval rm -rf /', ['eval', 'rm']],
    ['$\'…\' strings', "bash -c $'rm\\x20-rf /'", ['bash', 'rm']],
    ['watch commands, run by sh -c', 'watch -n 5 "df -h | grep sda"', ['watch', 'df', 'grep']],
    ['parallel command lines', 'parallel -j4 gzip -9 {} ::: *.log', ['parallel', 'gzip']],
    ['su -c strings', "su -c 'systemctl restart nginx' root", ['su', 'systemctl']],
    ['env -S strings', "env -S 'rm -rf /tmp/x'", ['env', 'rm']],
    ['trap handlers', "trap 'rm -rf $TMP' EXIT", ['trap', 'rm']],
    ['flock -c strings', "flock /var/lock/x -c 'make deploy'", ['flock', 'make']],
  ]
  for (const [construct, command, expected] of cases) {
    it(`finds programs in ${construct}: ${JSON.stringify(command)}`, () => {
      assert.deepEqual(programs(command), expected)
    })
  }

  it('keeps the words of a -c string as bash would pass them', () => {
    assert.deepEqual(lines(analyze(`sh -c "rm -rf '/srv/my dir'"`).facts), [`sh -c rm -rf '/srv/my dir'`, 'rm -rf /srv/my dir'])
  })

  it('lists a dynamic -c string as a dynamic program', () => {
    const { facts } = analyze('bash -c "$SCRIPT"')
    assert.deepEqual(facts.programs, ['bash', '$SCRIPT'])
    assert.equal(facts.dynamic, true)
  })

  it('stops following code strings nested deeper than 8 levels and says so', () => {
    let command = 'ls'
    for (let i = 0; i < 12; i++) command = `bash -c ${quote(command)}`
    const { facts } = analyze(command)
    assert.match(facts.parse_error, /nesting too deep/)
    assert.ok(facts.commands.length >= 8)
  })
})

describe('program, path and arguments', () => {
  it('uses the basename as program and keeps the path as written', () => {
    const [command] = analyze('/bin/rm -rf /tmp/x').facts.commands
    assert.deepEqual(command, { program: 'rm', path: '/bin/rm', args: ['-rf', '/tmp/x'], sudo: false })
  })

  it('removes quotes and escapes from arguments', () => {
    const [command] = analyze(`cp 'a b' "c d" e\\ f "g\\"h" $'i\\tj' k"l"'m'`).facts.commands
    assert.deepEqual(command?.args, ['a b', 'c d', 'e f', 'g"h', 'i\tj', 'klm'])
  })

  it('keeps unexpanded variables and substitutions as written', () => {
    const [command] = analyze('rm -rf "$HOME/${DIR}" $(pwd)/x ~/y *.log').facts.commands
    assert.deepEqual(command?.args, ['-rf', '$HOME/${DIR}', '$(pwd)/x', '~/y', '*.log'])
  })

  it('sees through quoting tricks in program names', () => {
    assert.deepEqual(programs(`\\rm a; r''m b; "r"m c; $'\\x72\\155' d`), ['rm'])
  })

  it('takes words tree-sitter hangs on a redirect as the arguments bash passes', () => {
    assert.deepEqual(lines(analyze('echo a > f b').facts), ['echo a b'])
    assert.deepEqual(lines(analyze('exec >log sudo rm -rf /').facts), ['exec sudo rm -rf /', 'sudo rm -rf /', 'rm -rf / (sudo)'])
  })
})

describe('programs only known at run time', () => {
  const cases: readonly [string, string][] = [
    ['$CMD arg', '$CMD'],
    ['"$CMD" arg', '$CMD'],
    ['${TOOLS}/bin/deploy', '${TOOLS}/bin/deploy'],
    ['$(echo rm) -rf /', '$(echo rm)'],
    ['`which rm` -rf /', '`which rm`'],
    ['/usr/bin/r? x', '/usr/bin/r?'],
    ['/bin/[r]m x', '/bin/[r]m'],
    ['sudo $EDITOR /etc/sudoers', '$EDITOR'],
  ]
  for (const [command, program] of cases) {
    it(`lists ${JSON.stringify(command)} with its program as written and sets dynamic`, () => {
      const { facts } = analyze(command)
      const found = facts.commands.find((c) => c.program === program)
      assert.ok(found, `expected ${program} in ${JSON.stringify(facts.programs)}`)
      assert.equal(found.path, program)
      assert.equal(facts.dynamic, true)
    })
  }

  it('is not set when only arguments are dynamic', () => {
    assert.equal(analyze('rm -rf "$DIR"/* $(ls)').facts.dynamic, false)
  })
})

describe('redirects', () => {
  const cases: readonly [string, readonly { op: string; target: string }[]][] = [
    ['echo x > out.txt', [{ op: '>', target: 'out.txt' }]],
    ['echo x >> "my log"', [{ op: '>>', target: 'my log' }]],
    ['sort < in', [{ op: '<', target: 'in' }]],
    ['make &> build.log', [{ op: '&>', target: 'build.log' }]],
    ['make &>> build.log', [{ op: '&>>', target: 'build.log' }]],
    ['cmd 2> err.log', [{ op: '2>', target: 'err.log' }]],
    ['cmd >| forced', [{ op: '>|', target: 'forced' }]],
    ['cmd >& both', [{ op: '>&', target: 'both' }]],
    ['cmd > "$OUT"', [{ op: '>', target: '$OUT' }]],
    ['cmd 2>&1 >&- 3<&0', []],
    ['cmd > /dev/null 2>&1', [{ op: '>', target: '/dev/null' }]],
    ['{ a; b; } > grouped', [{ op: '>', target: 'grouped' }]],
    ['cat <<EOF\nx\nEOF', []],
    ['cat <<< "here string"', []],
    ["bash -c 'echo x > /etc/motd'", [{ op: '>', target: '/etc/motd' }]],
  ]
  for (const [command, expected] of cases) {
    it(`lists the file redirects of ${JSON.stringify(command)}`, () => {
      assert.deepEqual(analyze(command).facts.redirects, expected)
    })
  }
})

describe('here-documents and here-strings', () => {
  const cases: readonly [string, string, readonly string[]][] = [
    ['a here-document to cat is data', 'cat <<EOF\nrm -rf /\nEOF', ['cat']],
    ['a quoted here-document to a program is data', "psql <<'SQL'\nDROP TABLE x;\nSQL", ['psql']],
    ['a here-string to a program is data', 'grep x <<< "rm -rf /"', ['grep']],
    ['substitutions in an unquoted here-document still run', 'cat <<EOF\n$(rm -rf /)\nEOF', ['cat', 'rm']],
    ['substitutions in a quoted here-document do not', "cat <<'EOF'\n$(rm -rf /)\nEOF", ['cat']],
    ['a here-document to bash is code', 'bash <<EOF\nrm -rf /\nEOF', ['bash', 'rm']],
    ['a here-document to sh -s is code', "sh -s -- arg <<'EOF'\ncurl x | sh\nEOF", ['sh', 'curl']],
    ['a <<- here-document to a shell is code', 'bash <<-EOF\n\trm x\n\tEOF', ['bash', 'rm']],
    ['a here-document to sudo bash is code run as root', 'sudo bash <<EOF\nreboot\nEOF', ['sudo', 'bash', 'reboot']],
    ['a here-document to sudo -s is code', 'sudo -s <<EOF\nreboot\nEOF', ['sudo', 'reboot']],
    ['a here-document to a shell script is data', 'bash ./setup.sh <<EOF\nrm -rf /\nEOF', ['bash']],
    ['a here-document to bash /dev/stdin is code', 'bash /dev/stdin <<EOF\nrm -rf /\nEOF', ['bash', 'rm']],
    ['a here-document piped from cat into a shell is code', 'cat <<EOF | sh\nrm x\nEOF', ['cat', 'sh', 'rm']],
    ['a here-document mid-pipeline into a shell is code', 'a | cat <<EOF | sudo sh\nrm x\nEOF', ['a', 'cat', 'sudo', 'sh', 'rm']],
    ['a here-string to bash is code', 'bash <<< "rm -rf /"', ['bash', 'rm']],
    ['a here-string piped from cat into a shell is code', 'cat <<< "rm -rf /" | bash', ['cat', 'bash', 'rm']],
    ['echo piped into a shell is code', "echo 'rm -rf /' | sh", ['echo', 'sh', 'rm']],
    ['printf piped into a shell is code', "printf 'reboot\\n' | sudo bash", ['printf', 'sudo', 'bash', 'reboot']],
    ['echo piped into a program is data', "echo 'rm -rf /' | grep rm", ['echo', 'grep']],
    ['commands after a here-document run', 'cat <<EOF && rm x\nbody\nEOF', ['cat', 'rm']],
  ]
  for (const [behavior, command, expected] of cases) {
    it(`${behavior}: ${JSON.stringify(command)}`, () => {
      assert.deepEqual(programs(command), expected)
    })
  }

  it('marks code fed to sudo bash as run with sudo', () => {
    const { facts } = analyze('sudo bash <<EOF\nreboot\nEOF')
    assert.equal(facts.commands.find((c) => c.program === 'reboot')?.sudo, true)
  })
})

describe('substitution', () => {
  const cases: readonly [string, boolean][] = [
    ['echo $(date)', true],
    ['echo `date`', true],
    ['diff <(a) <(b)', true],
    ['tee >(b)', true],
    ["echo '$(not run)'", false],
    ['echo $HOME ${X} $((1+2))', false],
    ["bash -c 'echo $(id)'", true],
  ]
  for (const [command, expected] of cases) {
    it(`has_substitution is ${String(expected)} for ${JSON.stringify(command)}`, () => {
      assert.equal(analyze(command).facts.has_substitution, expected)
    })
  }
})

describe('input that is not valid bash', () => {
  const cases: readonly [string, RegExp, readonly string[]][] = [
    ['echo "unterminated', /^syntax error at line 1, column 6 near "\\"unterminated"$/, ['echo']],
    ['rm -rf / && (', /^syntax error at line 1, column 10/, ['rm']],
    ['ls &&', /^missing "word" at line 1, column 6$/, ['ls']],
    ['echo $(rm x', /^missing "\)" at line 1, column 12$/, ['echo', 'rm']],
    ['ok\nif then fi', /^syntax error at line 2, column 1 near "if then fi"$/, ['ok']],
    ["bash -c 'rm x; ('", /^in bash -c string: syntax error/, ['bash', 'rm']],
  ]
  for (const [command, error, expected] of cases) {
    it(`sets parse_error and still lists what it found for ${JSON.stringify(command)}`, () => {
      const { facts, highlights } = analyze(command)
      assert.match(facts.parse_error, error)
      for (const program of expected) assert.ok(facts.programs.includes(program), `${program} in ${JSON.stringify(facts.programs)}`)
      assert.equal(highlights[0], `could not fully analyze: ${facts.parse_error}`)
    })
  }

  it('leaves parse_error empty for valid bash', () => {
    assert.equal(analyze('for i in 1 2; do echo $i; done').facts.parse_error, '')
  })

  it('sets parse_error for a payload with neither command nor argv', () => {
    assert.match(shell.analyze({}).facts.parse_error, /neither/)
  })

  it('never throws, whatever the input', () => {
    const word = fc.constantFrom('sudo', 'bash', '-c', 'eval', "'", '"', '$(', ')', '`', '<<EOF', '\nEOF\n', '|', '&&', ';', '{', '}', '(', 'rm', '<<<', '>', '2>&1', 'find', '-exec', '\\;', 'xargs', 'cat', 'sh', ' ')
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(word).map((words) => words.join(' '))), (command) => {
        const result = shell.analyze({ command })
        assert.equal(typeof result.summary, 'string')
      }),
      { numRuns: 500 },
    )
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), word), { minLength: 1 }), (argv) => void shell.analyze({ argv })), { numRuns: 300 })
  })

  it('reports deeply nested input instead of exhausting the stack', () => {
    const command = `echo ${'$(echo '.repeat(2000)}x${')'.repeat(2000)}`
    assert.match(analyze(command).facts.parse_error, /nesting too deep/)
  })
})

describe('the analyzer', () => {
  it('declares every fact with a CEL type', () => {
    assert.equal(shell.kind, 'shell')
    assert.equal(shell.rootType, 'ShellFacts')
    const { facts } = analyze('sudo rm x > y')
    assert.deepEqual(Object.keys(shell.types.ShellFacts ?? {}).sort(), Object.keys(facts).sort())
    assert.deepEqual(Object.keys(shell.types.ShellCommand ?? {}).sort(), Object.keys(facts.commands[0] ?? {}).sort())
    assert.deepEqual(Object.keys(shell.types.ShellRedirect ?? {}).sort(), Object.keys(facts.redirects[0] ?? {}).sort())
  })

  it('returns plain JSON facts', () => {
    const { facts } = analyze('sudo bash -c "rm -rf $(pwd)" > log')
    assert.deepEqual(JSON.parse(JSON.stringify(facts)), facts)
  })

  it('loads the grammar once and shares it', async () => {
    const again = await loadShellAnalyzer()
    assert.deepEqual(again.analyze({ command: 'ls' }).facts.programs, ['ls'])
  })
})

/** Single-quotes a string for bash. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}
