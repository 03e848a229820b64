import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analyzer } from '../analyzer.js'
import type { ShellFacts } from './index.js'
import { loadShellAnalyzer } from './index.js'
import { installed, runBash } from './test-bash.js'

let shell: Analyzer<ShellFacts>
before(async () => {
  shell = await loadShellAnalyzer()
})

/** Data that runs a command when bash evaluates it as an arithmetic expression (an array subscript). */
const P = 'a[$(touch out.txt)]'

/**
 * Bypass 2 of issue 14, "bash evaluates data": each example keeps its command in a quoted
 * string (data, by the look of it) and bash runs it. Each is first run through the real bash,
 * to prove that it executes code (it creates out.txt), then the analyzer must say `dynamic` and
 * the summary must say so too. Before the fix every one of these listed only harmless programs
 * (`echo`, `read`, `printf`…) with `dynamic: false`.
 */
const EVALUATES_DATA: readonly [string, string][] = [
  ['$((x)) arithmetic expansion', `x='${P}'; echo $((x))`],
  ['$(( $x )) arithmetic on an expansion', `x='${P}'; echo $(( $x ))`],
  ['((x)) arithmetic command', `x='${P}'; ((x))`],
  ['$[x] old arithmetic expansion', `x='${P}'; echo $[x]`],
  ['[[ $x -eq 0 ]]', `x='${P}'; [[ $x -eq 0 ]]`],
  ['[[ "$x" -eq 0 ]] quoted', `x='${P}'; [[ "$x" -eq 0 ]]`],
  ['[[ 1 -lt x ]] bare name', `x='${P}'; [[ 1 -lt x ]]`],
  ['an indexed array subscript ${a[x]}', `x='${P}'; a=(1); echo \${a[x]}`],
  ['an expanded subscript ${a[$x]}', `x='${P}'; a=(1); echo \${a[$x]}`],
  ['a length subscript ${#a[x]}', `x='${P}'; a=(1 2); echo \${#a[x]}`],
  ['a subscript in an assignment a[x]=1', `x='${P}'; a[x]=1`],
  ['a subscript in a compound assignment a+=([x]=1)', `x='${P}'; declare -a a; a+=([x]=1)`],
  ['a substring length ${y:0:x}', `x='${P}'; y=abc; echo \${y:0:x}`],
  ['a substring offset ${x:x}', `x='${P}'; echo \${x:x}`],
  ['a positional slice ${@:x}', `x='${P}'; set -- 1 2; echo \${@:x}`],
  ['let', `x='${P}'; let x`],
  ['arithmetic in an unquoted here-document', `x='${P}'; cat <<EOF\n$((x))\nEOF`],
  ['for ((…)) arithmetic', `x='${P}'; for ((i=x;0;)); do :; done`],
  ['a case word with arithmetic', `x='${P}'; case 1 in $((x))) :;; esac`],
  ['declare -i then assignment', `x='${P}'; declare -i n; n=x`],
  ['local -i in a function', `x='${P}'; f(){ local -i y=$x; }; f`],
  ['a nameref to a subscript', `declare -n r='${P}'; echo $r`],
  ['local -n from data', `x='${P}'; f(){ local -n y=$x; echo $y; }; f`],
  ['indirection ${!x}', `x='${P}'; echo \${!x}`],
  ['prompt expansion ${x@P}', `x='$(touch out.txt)'; echo \${x@P}`],
  ['printf -v with a subscript', `printf -v '${P}' %s 1`],
  ['read into a subscript', `read '${P}' <<< 1`],
  ['test -v with a subscript', `test -v '${P}'`],
  ['[[ -v ]] with an expanded name', `x='${P}'; [[ -v $x ]]`],
  ['RANDOM assigned data', `RANDOM='${P}'`],
  ['OPTIND assigned data', `x='${P}'; OPTIND=$x`],
  ['declare parsing a compound assignment from data', `x='[$(touch out.txt)]=1'; declare -a "a=($x)"`],
  ['declare re-reading a quoted subscripted name', `declare '${P}=1'`],
  ['typeset re-reading a quoted subscripted name', `typeset '${P}=1'`],
  ['declare -g re-reading a quoted subscripted name', `declare -g '${P}=1'`],
  ['builtin declare re-reading a quoted subscripted name', `builtin declare '${P}=1'`],
  ['command declare re-reading a quoted subscripted name', `command declare '${P}=1'`],
  ['local in a function re-reading a quoted subscript', `f() { local '${P}=1'; }; f`],
  ['declare with an escaped substitution in a double-quoted subscript', `declare "a[1+\\$(touch out.txt)]"=1`],
  ['declare -a re-reading a quoted compound assignment', `declare -a 'a=([$(touch out.txt)]=1)'`],
  ['declare -a with a quoted compound value', `declare -a a='([$(touch out.txt)]=1)'`],
  ['declare -a with a double-quoted compound value', `declare -a a="([\\$(touch out.txt)]=1)"`],
  ['declare -A with a quoted compound value', `declare -A a='([$(touch out.txt)]=1)'`],
  ['readonly -a with a quoted compound value', `readonly -a a='([$(touch out.txt)]=1)'`],
  ['typeset -a with a quoted compound value', `typeset -a a='([$(touch out.txt)]=1)'`],
  ['declare -a with a quoted list of substitutions', `declare -a a='($(touch out.txt))'`],
  ['mapfile -C callback', `mapfile -C 'touch out.txt #' -c 1 arr <<< 1`],
  ['compgen -W word list', `compgen -W '$(touch out.txt)' x`],
  ['compgen -C command', `compgen -C 'touch out.txt' x`],
  ['PS4 with xtrace', `PS4='$(touch out.txt)'; set -x; :`],
  ['BASH_ENV for a child bash', `echo 'touch out.txt' > e.sh; BASH_ENV=./e.sh bash -c :`],
  ['an exported function imported through the environment', `env 'BASH_FUNC_f%%=() { touch out.txt; }' bash -c f`],
  ['an alias with expand_aliases', `shopt -s expand_aliases; alias q='touch out.txt'\nq`],
  ['source', `echo 'touch out.txt' > s.sh; source ./s.sh`],
  ['. (dot)', `echo 'touch out.txt' > s.sh; . ./s.sh`],
  ['eval of an expanded string', `x='touch out.txt'; eval "$x"`],
  ['eval re-expanding data', `x='$(touch out.txt)'; eval "echo $x"`],
  ['bash -c with an expanded string', `x='touch out.txt'; bash -c "$x"`],
  ['trap with an expanded string', `x='touch out.txt'; trap "$x" EXIT`],
  ['sed s///e runs the pattern space', `echo x | sed 's/.*/touch out.txt/e'`],
  ['xargs sh -c with the input as code', `echo 'touch out.txt' | xargs -I{} sh -c '{}'`],
  ['xargs sh -c with no script', `echo '"touch out.txt"' | xargs sh -c`],
  ['find -exec sh -c {} runs file names', `: > 'x;touch out.txt'; find . -name 'x;*' -exec sh -c {} \\;`],
]

describe('bash evaluating data as code makes the command dynamic (bypass 2)', () => {
  for (const [construct, script] of EVALUATES_DATA) {
    it(`${construct}: ${JSON.stringify(script)}`, () => {
      assert.equal(runBash(script).created, true, 'the real bash did not run the hidden command: the example proves nothing')
      const { facts, summary, highlights } = shell.analyze({ command: script })
      assert.equal(facts.dynamic, true, JSON.stringify(facts))
      assert.match(summary, /\+ code known only at run time$/)
      assert.ok(highlights.some((text) => /evaluates text as code|known only at run time/.test(text)), JSON.stringify(highlights))
    })
  }

  it('removed a directory that plain rm -rf is denied for, and now says dynamic', () => {
    const script = `x='a[$(rm -rf victim)]'; echo $((x))`
    const before = runBash(`${script}; test -d victim || touch out.txt`, { setup: 'mkdir victim' })
    assert.equal(before.created, true)
    assert.equal(shell.analyze({ command: script }).facts.dynamic, true)
  })

  it('follows the same constructs inside bash -c and sudo', () => {
    for (const command of [`bash -c 'echo $((x))'`, `sudo bash -c 'echo \${!x}'`, `sh -c "eval \\"\\$1\\"" _ x`]) {
      assert.equal(shell.analyze({ command }).facts.dynamic, true, command)
    }
  })
})

/** Constants and data used as data: not dynamic, and the real bash runs nothing hidden. */
const STAYS_DATA: readonly [string, string][] = [
  ['constant arithmetic', 'echo $((1 + 2 * 0x10)) $[3] $(( $$ > 0 ))'],
  ['a constant subscript', `a=(1 2); echo \${a[1]} \${a[@]} \${#a[*]} \${!a[@]}`],
  ['a constant substring', `x='${P}'; echo \${x:1:2} \${x: -1}`],
  ['quoted data echoed', `x='${P}'; echo "$x"; printf '%s\\n' "$x"`],
  ['[ -eq ] (test does not evaluate in bash)', `x='${P}'; [ "$x" -eq 0 ] 2>/dev/null; test "$x" -eq 0 2>/dev/null; true`],
  ['name listing ${!prefix*}', `x='${P}'; echo \${!x*}`],
  ['read into a plain name', 'read -r line <<< hello; echo "$line"'],
  ['eval of a literal string', `eval 'echo hi'`],
  ['a default value', 'echo ${X:-default}'],
]

describe('data used as data stays static', () => {
  for (const [construct, script] of STAYS_DATA) {
    it(`${construct}: ${JSON.stringify(script)}`, () => {
      assert.equal(runBash(script).created, false)
      assert.equal(shell.analyze({ command: script }).facts.dynamic, false)
    })
  }
})

describe('assignments to variables that run code', () => {
  const cases = [
    'PROMPT_COMMAND="touch x"',
    'export PS4=x',
    'PATH=/tmp/evil:$PATH ls',
    'LD_PRELOAD=/tmp/x.so ls',
    'GIT_PAGER=x git log',
    'env BASH_ENV=/tmp/x bash -c :',
    'sudo LD_LIBRARY_PATH=/tmp ls',
    'declare -x PAGER=x',
  ]
  for (const command of cases) {
    it(`${command} is dynamic`, () => {
      assert.equal(shell.analyze({ command }).facts.dynamic, true)
    })
  }
  it('an ordinary variable is not', () => {
    assert.equal(shell.analyze({ command: 'LANG=C ls; X=1; export Y=2' }).facts.dynamic, false)
  })
})

describe('builtins that run strings', () => {
  for (const command of ['enable -f /tmp/x.so x', 'hash -p /tmp/evil ls', 'fc -s', 'bind -x \'"\\C-x": id\'', 'complete -C /tmp/x git', 'complete -F f git', 'readarray -C cb arr']) {
    it(`${command} is dynamic`, () => {
      assert.equal(shell.analyze({ command }).facts.dynamic, true)
    })
  }
  it('their reading forms are not', () => {
    for (const command of ['fc -l', 'hash', 'alias', 'complete -p', 'mapfile arr < f']) assert.equal(shell.analyze({ command }).facts.dynamic, false, command)
  })
})

describe('the analyzer and real bash agree on a bash we can run', { skip: !installed('bash') }, () => {
  it('parse_error is "" when the input parses', () => {
    assert.equal(shell.analyze({ command: 'ls -la /tmp' }).facts.parse_error, '')
  })
})
