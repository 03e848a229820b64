import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decideAction, policyFrom } from '../../policy/test-support.js'

/**
 * The shell rules recommended for the starter policies (examples/), compiled with the real
 * analyzers' CEL declarations and decided the way the gateway decides: the new facts type-check,
 * every bypass example of issue 14 goes to review or is denied, and ordinary reads stay allowed.
 */
const POLICY = `version: 1
default: review
rules:
  - id: no-secret-files
    match: { kind: shell }
    when: size(shell.sensitive_paths) > 0 || shell.programs.exists(p, p in ["printenv"])
    effect: deny
  - id: shell-read-only
    match: { kind: shell }
    when: >
      shell.parse_error == ""
      && !shell.dynamic
      && size(shell.runs_code) == 0
      && size(shell.globs) == 0
      && size(shell.modifies) == 0
      && !shell.unbounded
      && shell.programs.all(p, p in ["ls", "cat", "head", "tail", "grep", "wc", "df", "du", "free", "uptime",
        "ps", "top", "whoami", "id", "hostname", "date", "pwd", "echo", "stat", "journalctl", "uname",
        "awk", "sed", "find", "git", "less", "env"])
      && !shell.commands.exists(c, c.sudo)
      && shell.redirects.all(r, r.op == "<")
    effect: allow
`

const decideShell = async (command: string): Promise<string> => (await decideAction(await policyFrom(POLICY), { kind: 'shell', target: 'h', payload: { command } })).effect

describe('recommended starter rules over the new shell facts', () => {
  const refused: readonly [string, string][] = [
    ["x='a[$(rm -rf /srv)]'; echo $((x))", 'review'],
    ["x='a[$(id)]'; [[ $x -eq 0 ]]", 'review'],
    ["x='$(id)'; echo ${x@P}", 'review'],
    ['echo ${!x}', 'review'],
    ['cat /etc/shado[w]', 'deny'],
    ['cat ~/.aws/credential?', 'deny'],
    ['f=/etc/shado?; cat $f', 'review'],
    ['cat /proc/$PPID/environ', 'deny'],
    ['cat /proc/self/environ', 'deny'],
    ['cat .countersign/audit-ed25519.pem', 'deny'],
    [`awk 'BEGIN{system("rm -rf /srv")}'`, 'review'],
    ["sed '1e rm -rf /srv' f", 'review'],
    ['find /srv -exec rm {} +', 'review'],
    ["git -c core.pager='rm -rf /srv' log", 'review'],
    ["env -S 'rm -rf /srv'", 'review'],
    ['less /var/log/syslog', 'review'],
    ['date -s 2020-01-01', 'review'],
    ['hostname evil', 'review'],
    ['journalctl --vacuum-size=1M', 'review'],
    ['tail -f /var/log/syslog', 'review'],
    ['top', 'review'],
    ['sudo taskset -c 0 rm -rf /var/lib/postgresql', 'review'],
  ]
  for (const [command, effect] of refused) {
    it(`${command} → ${effect}`, async () => {
      assert.equal(await decideShell(command), effect)
    })
  }

  const allowed = ['ls -la /var/log', 'cat /etc/hostname', 'tail -n 100 /var/log/syslog', 'journalctl -u postgresql -n 50', 'df -h', 'top -b -n 1', 'date', 'hostname', "awk '{print $1}' /etc/hosts", "grep -c ERROR /var/log/syslog", 'uptime && free -m']
  for (const command of allowed) {
    it(`${command} → allow`, async () => {
      assert.equal(await decideShell(command), 'allow')
    })
  }

  it('reads runs_code entries as {program, arg} in CEL', async () => {
    const policy = await policyFrom(`version: 1
default: allow
rules:
  - id: no-awk-code
    match: { kind: shell }
    when: shell.runs_code.exists(r, r.program == "awk" && r.arg.contains("system"))
    effect: deny
  - id: no-clock
    match: { kind: shell }
    when: shell.modifies.exists(m, m.program == "date")
    effect: deny
`)
    const effect = async (command: string): Promise<string> => (await decideAction(policy, { kind: 'shell', target: 'h', payload: { command } })).effect
    assert.equal(await effect(`awk 'BEGIN{system("id")}'`), 'deny')
    assert.equal(await effect('date --set=now'), 'deny')
    assert.equal(await effect('date'), 'allow')
  })
})
