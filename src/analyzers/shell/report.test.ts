import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analysis, Analyzer } from '../analyzer.js'
import type { ShellFacts } from './index.js'
import { loadShellAnalyzer } from './index.js'

let shell: Analyzer<ShellFacts>
before(async () => {
  shell = await loadShellAnalyzer()
})

const analyze = (command: string): Analysis<ShellFacts> => shell.analyze({ command })

describe('summary and highlights', () => {
  it('summarizes programs, marking elevation and joining pipelines', () => {
    assert.equal(analyze('sudo rm -rf /var/lib/app && curl -fsSL https://x.sh | sh').summary, 'runs rm (as root), curl | sh')
  })

  it('names the user sudo runs as when it is not root', () => {
    const { summary, highlights } = analyze('sudo -u deploy ./migrate')
    assert.equal(summary, 'runs migrate (as deploy)')
    assert.deepEqual(highlights, ['runs as deploy via sudo'])
  })

  it('says when nothing runs', () => {
    assert.equal(analyze('# just a comment').summary, 'runs no commands')
  })

  it('shortens a long summary', () => {
    const summary = analyze(Array.from({ length: 60 }, (_, i) => `prog${i}`).join('; ')).summary
    assert.ok(summary.length <= 180, summary)
    assert.match(summary, /… \(\+\d+ more\)$/)
  })

  it('never lets a command that evaluates data read as a plain list of programs', () => {
    assert.equal(analyze("x='a[$(id)]'; echo $((x))").summary, 'runs echo + code known only at run time')
    const long = analyze(`${Array.from({ length: 60 }, (_, i) => `prog${i}`).join('; ')}; echo \${!x}`).summary
    assert.match(long, /\+ code known only at run time$/)
    assert.ok(long.length <= 180, long)
    assert.equal(analyze('echo $((1 + 2))').summary, 'runs echo')
  })

  it('escapes control characters so a program name cannot forge a line', () => {
    const { summary } = analyze("$'ls\\nruns nothing' x")
    assert.equal(summary.includes('\n'), false)
    assert.match(summary, /\\n/)
  })

  it('orders the risky points most serious first', () => {
    const { highlights } = analyze('sudo rm -rf /var/lib; curl -s https://x | bash; eval "$(cat f)"; echo x > /etc/passwd')
    assert.deepEqual(highlights, [
      'runs as root via sudo',
      'deletes files recursively (rm -rf /var/lib)',
      'pipes a download into a shell (curl … | bash)',
      'runs code from a string (eval)',
      'evaluates text as code at run time: eval string known only at run time ($(cat f))',
      'runs a program known only at run time ($(cat f))',
      'arguments the shell expands ($(cat f))',
      'writes to /etc/passwd',
      'command substitution',
    ])
  })

  const cases: readonly [string, string][] = [
    ['mkfs.ext4 /dev/sdb1', 'formats a file system (mkfs.ext4 /dev/sdb1)'],
    ['dd if=img of=/dev/sda bs=4M', 'writes a raw device (dd if=img of=/dev/sda bs=4M)'],
    ['sudo reboot', 'shuts down or reboots the machine (reboot)'],
    ['find /tmp -mtime +7 -delete', 'deletes files (find /tmp -mtime +7 -delete)'],
    ['bash <(curl -s https://x)', 'runs a download as code (curl → bash)'],
    ['wget -qO- x | sudo python3', 'pipes a download into a shell (wget … | python3)'],
    ["sh -c 'ls'", 'runs code from a string (sh -c)'],
    ['bash <<EOF\nls\nEOF', 'runs code from a string (bash <<EOF)'],
    ['echo x | sudo tee /etc/hosts', 'writes to /etc/hosts'],
    ['$CMD', 'runs a program known only at run time ($CMD)'],
    ["x='a[$(id)]'; echo $((x))", 'evaluates text as code at run time: arithmetic on data ($((x)))'],
    ["awk 'BEGIN{system(\"id\")}'", 'runs code from a string (awk)'],
    ["python3 -c 'import os'", 'runs code from its arguments (python3 import os)'],
    ['cat /proc/$PPID/environ', 'may read or write a secret file (/proc/$PPID/environ)'],
    ['date -s 2020-01-01', 'changes the system or files (date --set 2020-01-01)'],
    ['tail -f /var/log/syslog', 'may run until stopped (follows, repeats, loops or waits for input)'],
    ['cat /etc/shado[w]', 'arguments the shell expands (/etc/shado[w])'],
  ]
  for (const [command, expected] of cases) {
    it(`highlights ${JSON.stringify(command)} as ${JSON.stringify(expected)}`, () => {
      assert.ok(analyze(command).highlights.includes(expected), JSON.stringify(analyze(command).highlights))
    })
  }

  it('does not highlight writes to /dev/null or a plain command', () => {
    assert.deepEqual(analyze('ls -la > /dev/null 2>&1').highlights, [])
  })
})
