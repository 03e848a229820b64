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
/** Each command as `program arg…`, with ` (sudo)` when elevated: compact to compare in tables. */
const lines = (facts: ShellFacts): string[] => facts.commands.map((c) => [c.program, ...c.args].join(' ') + (c.sudo ? ' (sudo)' : ''))

describe('wrappers run the command they are given', () => {
  const cases: readonly [string, readonly string[]][] = [
    ['sudo rm -rf /', ['sudo rm -rf /', 'rm -rf / (sudo)']],
    ['sudo -u deploy -E -- systemctl restart app', ['sudo -u deploy -E -- systemctl restart app', 'systemctl restart app (sudo)']],
    ['sudo -uroot -H HOME=/x make install', ['sudo -uroot -H HOME=/x make install', 'make install (sudo)']],
    ['sudo --user=bob --chdir /srv ls', ['sudo --user=bob --chdir /srv ls', 'ls (sudo)']],
    ['sudo -l rm', ['sudo -l rm']],
    ['sudo -e /etc/hosts', ['sudo -e /etc/hosts']],
    ['doas -u admin vi /etc/hosts', ['doas -u admin vi /etc/hosts', 'vi /etc/hosts (sudo)']],
    ['pkexec --user root apt upgrade', ['pkexec --user root apt upgrade', 'apt upgrade (sudo)']],
    ['env -i -u PATH X=1 ./run.sh a', ['env -i -u PATH X=1 ./run.sh a', 'run.sh a']],
    ['env - HOME=/ id', ['env - HOME=/ id', 'id']],
    ['xargs -0 -n 1 -I{} rm {}', ['xargs -0 -n 1 -I{} rm {}', 'rm {}']],
    ['xargs -P4 -L1 sh -c "kill $0"', ['xargs -P4 -L1 sh -c kill $0', 'sh -c kill $0', 'kill $0']],
    ['find / -name "*.tmp" -exec rm -f {} \\;', ['find / -name *.tmp -exec rm -f {} ;', 'rm -f {}']],
    ['find . -execdir chmod 600 {} + -ok mv {} /tmp \\;', ['find . -execdir chmod 600 {} + -ok mv {} /tmp ;', 'chmod 600 {}', 'mv {} /tmp']],
    ['nohup ./server --port 80 &', ['nohup ./server --port 80', 'server --port 80']],
    ['timeout 5m make test', ['timeout 5m make test', 'make test']],
    ['timeout -s KILL -k 10 30 curl x', ['timeout -s KILL -k 10 30 curl x', 'curl x']],
    ['nice -n 10 tar czf a.tgz /', ['nice -n 10 tar czf a.tgz /', 'tar czf a.tgz /']],
    ['nice -5 make', ['nice -5 make', 'make']],
    ['ionice -c2 -n7 rsync a b', ['ionice -c2 -n7 rsync a b', 'rsync a b']],
    ['ionice -c3 -p 42', ['ionice -c3 -p 42']],
    ['stdbuf -oL -e0 tail -f log', ['stdbuf -oL -e0 tail -f log', 'tail -f log']],
    ['time -p make', ['time -p make', 'make']],
    ['command rm x', ['command rm x', 'rm x']],
    ['command -v rm', ['command -v rm']],
    ['exec -a name ./daemon', ['exec -a name ./daemon', 'daemon']],
    ['watch -x ls /', ['watch -x ls /', 'ls /']],
    ['setsid -f ./job', ['setsid -f ./job', 'job']],
    ['flock -w 5 /tmp/l rsync a b', ['flock -w 5 /tmp/l rsync a b', 'rsync a b']],
    ['runuser -u app -- ./start', ['runuser -u app -- ./start', 'start (sudo)']],
    ['trap - EXIT', ['trap - EXIT']],
    ['X=1 Y=2 make', ['make']],
    ['sudo env PATH=/x nice -n 5 timeout 10 rm -r d', [
      'sudo env PATH=/x nice -n 5 timeout 10 rm -r d',
      'env PATH=/x nice -n 5 timeout 10 rm -r d (sudo)',
      'nice -n 5 timeout 10 rm -r d (sudo)',
      'timeout 10 rm -r d (sudo)',
      'rm -r d (sudo)',
    ]],
    ["sudo bash -c 'rm a; ls'", ["sudo bash -c rm a; ls", 'bash -c rm a; ls (sudo)', 'rm a (sudo)', 'ls (sudo)']],
    ["su - root -c 'id'", ['su - root -c id', 'id (sudo)']],
  ]
  for (const [command, expected] of cases) {
    it(`unwraps ${JSON.stringify(command)}`, () => {
      assert.deepEqual(lines(analyze(command).facts), expected)
    })
  }

  it('does not mark commands as sudo when they only appear in sudo\'s arguments as substitutions', () => {
    // `$(ls)` is expanded by the calling shell, as the calling user.
    assert.deepEqual(lines(analyze('sudo rm $(ls)').facts), ['sudo rm $(ls)', 'rm $(ls) (sudo)', 'ls'])
  })

  it('stops unwrapping absurdly long wrapper chains and says so', () => {
    const { facts } = shell.analyze({ argv: [...Array<string>(200).fill('nohup'), 'rm'] })
    assert.match(facts.parse_error, /nesting too deep/)
  })
})

describe('argv payloads', () => {
  it('takes argv as the program and its arguments exactly, without shell parsing', () => {
    const { facts } = shell.analyze({ argv: ['/usr/bin/git', 'commit', '-m', 'fix $(rm -rf /); `x`'] })
    assert.deepEqual(facts.commands, [{ program: 'git', path: '/usr/bin/git', args: ['commit', '-m', 'fix $(rm -rf /); `x`'], sudo: false }])
    assert.equal(facts.has_substitution, false)
    assert.equal(facts.dynamic, false)
  })

  it('unwraps wrappers in argv form', () => {
    const { facts } = shell.analyze({ argv: ['sudo', '-u', 'root', 'nice', 'rm', '-rf', '/'] })
    assert.deepEqual(lines(facts), ['sudo -u root nice rm -rf /', 'nice rm -rf / (sudo)', 'rm -rf / (sudo)'])
  })

  it('parses a -c string in argv as bash', () => {
    const { facts } = shell.analyze({ argv: ['bash', '-c', 'curl -s x | sh; echo "$(id)"'] })
    assert.deepEqual(facts.programs, ['bash', 'curl', 'sh', 'echo', 'id'])
    assert.equal(facts.has_substitution, true)
  })

  it('treats an argv program containing $ as a literal file name', () => {
    const { facts } = shell.analyze({ argv: ['$CMD', 'x'] })
    assert.deepEqual(facts.programs, ['$CMD'])
    assert.equal(facts.dynamic, false)
  })
})
