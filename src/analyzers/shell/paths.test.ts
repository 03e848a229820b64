import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analyzer } from '../analyzer.js'
import type { ShellFacts } from './index.js'
import { loadShellAnalyzer } from './index.js'
import { isSensitivePath } from './sensitive-paths.js'
import { runBash } from './test-bash.js'

let shell: Analyzer<ShellFacts>
before(async () => {
  shell = await loadShellAnalyzer()
})

const facts = (command: string): ShellFacts => shell.analyze({ command }).facts

/** The starter policy's credential rule, as it reads `args` today (examples/policy.yaml). */
const CREDENTIAL_RULE = /(\.aws\/credentials|\.ssh\/id_|\/etc\/shadow|\.kube\/config|\.pgpass|\.netrc|\.docker\/config\.json|(^|\/)\.env$)/

/** A fake home with the files the examples read; `$HOME` of the real bash points at it. */
const FAKE_HOME = 'mkdir -p .aws .ssh etc && echo SECRET-AWS > .aws/credentials && echo SECRET-KEY > .ssh/id_ed25519 && echo SECRET-SHADOW > etc/shadow'

/**
 * Bypass 6 of issue 14: globs, braces, tildes and variables name a credential file without
 * spelling it, so a rule matching `args` as text misses it. Each example is run through the
 * real bash in a fake home to show that it prints the secret; the analyzer must list the word in
 * `globs` (which a read-only rule requires empty) and in `sensitive_paths`.
 */
const GLOB_READS: readonly [string, string, string][] = [
  ['? glob', 'cat ~/.aws/credential?', '~/.aws/credential?'],
  ['[…] bracket', 'cat ~/.aws/[c]redentials', '~/.aws/[c]redentials'],
  ['* glob', 'cat ~/.aws/cred*', '~/.aws/cred*'],
  ['brace expansion', 'cat ~/.aws/{credentials,nothing} 2>/dev/null', '~/.aws/{credentials,nothing}'],
  ['a relative glob like /etc/shado[w]', 'cat etc/shado[w]', 'etc/shado[w]'],
  ['$HOME', 'cat "$HOME/.ssh/id_ed25519"', '$HOME/.ssh/id_ed25519'],
  ['a glob in a redirect', 'cat < ~/.ssh/id_ed2551?', '~/.ssh/id_ed2551?'],
  ['a glob behind sudo -u', 'sudo -u "$USER" cat ~/.aws/credential? 2>/dev/null || cat ~/.aws/credential?', '~/.aws/credential?'],
  ['a character class', 'cat ~/.ssh/id_[[:alpha:]]d25519', '~/.ssh/id_[[:alpha:]]d25519'],
]

describe('globs reaching credential files are visible (bypass 6)', () => {
  for (const [construct, command, word] of GLOB_READS) {
    it(`${construct}: ${command}`, () => {
      assert.match(runBash(command, { setup: FAKE_HOME }).stdout, /SECRET-/, 'the real bash did not read the secret: the example proves nothing')
      const found = facts(command)
      assert.ok(found.globs.includes(word), JSON.stringify(found.globs))
      assert.ok(found.sensitive_paths.includes(word), JSON.stringify(found.sensitive_paths))
      // What the starter policy's rule on args sees: it does not match, which is why globs must be refused.
      assert.equal(found.commands.some((c) => c.args.some((a) => CREDENTIAL_RULE.test(a))) && !/[*?[{~$]/.test(word), false)
    })
  }

  it('a variable holding a glob is expanded too, and is in globs', () => {
    const command = 'f=~/.aws/credential?; cat $f'
    assert.match(runBash(command, { setup: FAKE_HOME }).stdout, /SECRET-AWS/)
    assert.deepEqual(facts(command).globs, ['$f'])
  })

  it('lists no globs for literal words, quoted patterns and plain options', () => {
    for (const command of ["ls -la /var/log", "grep -n 'a*b?' file.txt", "echo '~' \"*\" \\*", 'find . -name "*.log"']) {
      assert.deepEqual(facts(command).globs, [], command)
    }
  })

  it('is [] on an ordinary command and always present', () => {
    const found = facts('uptime')
    assert.deepEqual([found.globs, found.sensitive_paths, found.runs_code, found.modifies, found.unbounded, found.parse_error], [[], [], [], [], false, ''])
  })
})

/**
 * Bypass 8 of issue 14 (analysis part): a command running as the gateway's user reads its
 * environment through /proc, or its data directory. These must be in `sensitive_paths`.
 */
describe('process memory and environment, and the gateway data directory, are sensitive (bypass 8)', () => {
  it('cat /proc/$PPID/environ really reads the parent environment', () => {
    // `; true` keeps the outer bash alive as the parent, as the gateway is for the command it runs.
    const run = runBash(`bash -c 'cat /proc/$PPID/environ | tr "\\0" "\\n"'; true`, { env: { GATEWAY_SECRET: 'SECRET-ENV' } })
    assert.match(run.stdout, /GATEWAY_SECRET=SECRET-ENV/)
    assert.deepEqual(facts('cat /proc/$PPID/environ').sensitive_paths, ['/proc/$PPID/environ'])
  })

  const sensitive = [
    'cat /proc/self/environ',
    'cat /proc/$$/environ',
    'cat /proc/${PPID}/environ',
    'cat /proc/*/environ',
    'cat /proc/1/cmdline',
    'xxd /proc/self/mem',
    'cat /proc/self/maps',
    'cat /proc/1/task/1/environ',
    'cat /proc//self/./environ',
    'cat /proc/thread-self/environ',
    'ls -la /proc/$PPID/fd/',
    'cat /proc/1/root/etc/hostname',
    'tr "\\0" "\\n" < /proc/$PPID/environ',
    'strings /proc/$(pgrep countersign)/environ',
    'cat /proc/[0-9]*/environ',
    'cat /pro?/self/environ',
    'cat /proc/self/environ{,}',
    'cat .countersign/audit-ed25519.pem',
    'cat /srv/gw/.countersign/quickstart-tokens.json',
    'cat countersign.yaml',
    'cp /etc/shadow /tmp/x',
    'dd if=/etc/shadow of=/dev/stdout',
    'grep -r TOKEN /proc/1',
    'grep -R password /etc',
    'rg secret ~',
    'cat /home/*/.ssh/id_rsa',
    'cat ~root/.ssh/id_rsa',
    'cat app/.env',
    'head /etc/ssh/ssh_host_ed25519_key',
    'sudo cat /var/lib/postgresql/.pgpass',
    "bash -c 'cat /proc/$PPID/environ'",
  ]
  for (const command of sensitive) {
    it(`${command} names a sensitive path`, () => {
      assert.notDeepEqual(facts(command).sensitive_paths, [], JSON.stringify(facts(command)))
    })
  }

  const ordinary = ['cat /proc/cpuinfo', 'cat /proc/meminfo /proc/loadavg', 'ls /proc', 'cat /etc/hostname', 'grep -r TODO src/', 'cat README.md', 'echo "$HOME"', 'ls ~/projects', 'df -h /']
  for (const command of ordinary) {
    it(`${command} does not`, () => {
      assert.deepEqual(facts(command).sensitive_paths, [])
    })
  }
})

describe('isSensitivePath matches globs against globs', () => {
  const table: readonly [string, boolean, boolean][] = [
    ['/etc/shadow', false, true],
    ['/etc/shado[w]', true, true],
    ['/etc/shado[!w]', true, false],
    ['/etc/sha*', true, true],
    ['/etc/s[a-z]adow', true, true],
    ['/etc/s[0-9]adow', true, false],
    ['/etc/passwd', false, false],
    ['/etc/pass*', true, false],
    ['/proc/$PID/environ', true, true],
    ['/proc/self/status', false, false],
    ['/etc/./shadow', false, true],
    ['/etc/x/../shadow', false, true],
    ['$X', true, false],
  ]
  for (const [word, expands, expected] of table) {
    it(`${word} → ${expected}`, () => {
      assert.equal(isSensitivePath(word, expands), expected)
    })
  }
})
