/**
 * kubectl's flags, as far as parsing needs them: whether each takes a value. kubectl (pflag)
 * refuses unknown flags, so an unknown one is a parse error here too, rather than a guess about
 * whether it swallows the next word.
 */

/** `bool` takes no value (`--force`, or `--force=false`); `value` takes one (`-n prod`, `--namespace=prod`); `optional` only takes one after `=` (`--dry-run`, `--dry-run=server`). */
export type FlagType = 'bool' | 'value' | 'optional'

const BOOL = [
  // global
  'insecure-skip-tls-verify', 'match-server-version', 'disable-compression', 'warnings-as-errors', 'help',
  // output and selection
  'all-namespaces', 'recursive', 'watch', 'watch-only', 'no-headers', 'show-labels', 'show-kind', 'ignore-not-found',
  'allow-missing-template-keys', 'show-managed-fields', 'output-watch-events', 'server-print', 'all', 'list', 'local',
  // writes
  'force', 'now', 'wait', 'record', 'overwrite', 'prune', 'server-side', 'force-conflicts', 'openapi-patch', 'save-config',
  'edit', 'windows-line-endings', 'output-patch', 'append-hash', 'global-default', 'resolve', 'replace', 'same-node',
  'share-processes', 'arguments-only', 'keep-annotations', 'keep-labels', 'keep-liveness', 'keep-readiness', 'keep-startup',
  'keep-init-containers', 'remove-extra-permissions', 'remove-extra-subjects', 'embed-certs',
  // containers
  'stdin', 'tty', 'quiet', 'rm', 'command', 'privileged', 'attach', 'expose', 'leave-stdin-open', 'follow', 'previous',
  'all-containers', 'all-pods', 'timestamps', 'prefix', 'ignore-errors', 'insecure-skip-tls-verify-backend',
  'no-preserve', 'disable-filter', 'append-server-path', 'interactive',
  // drain, top, diff, config, misc
  'ignore-daemonsets', 'delete-emptydir-data', 'delete-local-data', 'disable-eviction', 'use-protocol-buffers',
  'sum', 'show-capacity', 'show-secret', 'flatten', 'minify', 'raw-output', 'client', 'cached', 'show-token', 'enable-helm',
  'load-restrictor-none', 'enable-alpha-plugins', 'name-only', 'current',
] as const

const VALUE = [
  // global
  'as', 'as-group', 'as-uid', 'cache-dir', 'certificate-authority', 'client-certificate', 'client-key', 'cluster', 'context',
  'kubeconfig', 'namespace', 'password', 'profile', 'profile-output', 'request-timeout', 'server', 'tls-server-name',
  'token', 'user', 'username', 'v', 'vmodule', 'log-flush-frequency', 'kuberc',
  // output and selection
  'output', 'filename', 'kustomize', 'selector', 'field-selector', 'label-columns', 'sort-by', 'template', 'chunk-size',
  'raw', 'subresource',
  // writes
  'prune-allowlist', 'field-manager', 'grace-period', 'timeout', 'applyset', 'patch', 'patch-file', 'type', 'replicas',
  'current-replicas', 'resource-version', 'from-literal', 'from-file', 'from-env-file', 'cert', 'key', 'docker-server',
  'docker-username', 'docker-password', 'docker-email', 'verb', 'resource', 'resource-name', 'non-resource-url',
  'aggregation-rule', 'clusterrole', 'role', 'group', 'serviceaccount', 'image', 'port', 'from', 'schedule', 'restart',
  'tcp', 'node-port', 'external-name', 'clusterip', 'rule', 'class', 'default-backend', 'annotation', 'audience',
  'bound-object-kind', 'bound-object-name', 'bound-object-uid', 'duration', 'hard', 'scopes', 'min-available',
  'max-unavailable', 'value', 'description', 'preemption-policy', 'env', 'labels', 'overrides', 'image-pull-policy',
  'annotations', 'pod-running-timeout', 'target', 'copy-to', 'custom', 'set-image', 'container', 'containers', 'keys',
  'limits', 'requests', 'min', 'max', 'cpu-percent', 'cpu', 'memory', 'name', 'target-port', 'protocol', 'external-ip',
  'load-balancer-ip', 'session-affinity', 'cluster-ip', 'override-type', 'to-revision', 'revision', 'pod-selector',
  'skip-wait-for-delete-timeout', 'for', 'types', 'concurrency', 'api-version', 'verbs', 'api-group', 'categories',
  'output-directory', 'namespaces', 'since', 'since-time', 'tail', 'limit-bytes', 'max-log-requests', 'address',
  'accept-hosts', 'accept-paths', 'reject-paths', 'reject-methods', 'api-prefix', 'www', 'www-prefix', 'unix-socket',
  'keepalive', 'retries', 'auth-provider', 'auth-provider-arg', 'exec-command', 'exec-api-version', 'exec-arg', 'exec-env',
  'set-raw-bytes', 'rolebinding-name', 'role-namespace', 'helm-command', 'reactive-value',
] as const

const OPTIONAL = ['dry-run', 'validate', 'cascade', 'namespaced', 'merge'] as const

const LONG: ReadonlyMap<string, FlagType> = new Map<string, FlagType>([
  ...BOOL.map((name) => [name, 'bool'] as const),
  ...VALUE.map((name) => [name, 'value'] as const),
  ...OPTIONAL.map((name) => [name, 'optional'] as const),
])

const SHORT: Readonly<Record<string, string>> = {
  n: 'namespace', o: 'output', f: 'filename', k: 'kustomize', l: 'selector', L: 'label-columns', R: 'recursive',
  A: 'all-namespaces', w: 'watch', c: 'container', i: 'stdin', t: 'tty', q: 'quiet', p: 'patch', e: 'env', s: 'server',
  v: 'v', h: 'help', r: 'replicas', z: 'serviceaccount',
}

/** Per-command differences: the same letter or name meaning another flag. */
const OVERRIDES: Readonly<Record<string, { readonly short?: Readonly<Record<string, string>>; readonly long?: Readonly<Record<string, FlagType>> }>> = {
  logs: { short: { f: 'follow', p: 'previous' } },
  proxy: { short: { p: 'port', w: 'www', P: 'www-prefix', u: 'unix-socket' } },
  delete: { short: { i: 'interactive' } },
  run: { short: { l: 'labels' } },
  expose: { short: { l: 'labels' } },
  set: { short: { c: 'containers' } },
  top: { long: { containers: 'bool' } },
  'config view': { long: { raw: 'bool' } },
  'config set-credentials': { long: { username: 'value' } },
  whoami: { short: { t: 'show-token' } },
}

/** A flag as looked up for one command: its canonical long name and type, or `undefined` if kubectl does not know it. */
export interface FlagSpec {
  readonly name: string
  readonly type: FlagType
}

/** Looks up a long flag (`namespace`) for a command path (`['config', 'view']`). */
export function longFlag(name: string, command: readonly string[]): FlagSpec | undefined {
  for (const key of overrideKeys(command)) {
    const type = OVERRIDES[key]?.long?.[name]
    if (type !== undefined) return { name, type }
  }
  const type = LONG.get(name)
  return type === undefined ? undefined : { name, type }
}

/** Looks up a one-letter flag (`n`) for a command path. */
export function shortFlag(letter: string, command: readonly string[]): FlagSpec | undefined {
  let name: string | undefined
  for (const key of overrideKeys(command)) {
    name = OVERRIDES[key]?.short?.[letter]
    if (name !== undefined) break
  }
  name ??= SHORT[letter]
  return name === undefined ? undefined : longFlag(name, command)
}

/** Most specific first: `config view`, then `config`. */
function overrideKeys(command: readonly string[]): string[] {
  const keys: string[] = []
  for (let n = command.length; n > 0; n--) keys.push(command.slice(0, n).join(' '))
  return keys
}
