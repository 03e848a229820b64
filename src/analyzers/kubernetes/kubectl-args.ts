import { longFlag, shortFlag } from './kubectl-flags.js'

/** The commands this analyzer understands; each maps to its subcommands (`[]`: none). */
const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  get: [], describe: [], apply: ['edit-last-applied', 'set-last-applied', 'view-last-applied'], replace: [], delete: [],
  edit: [], patch: [], label: [], annotate: [], scale: [], autoscale: [], expose: [], run: [], exec: [], attach: [],
  debug: [], logs: [], 'port-forward': [], proxy: [], cp: [], cordon: [], uncordon: [], drain: [], taint: [], wait: [],
  events: [], diff: [], explain: [], version: [], 'api-resources': [], 'api-versions': [], kustomize: [], completion: [],
  options: [], help: [], 'cluster-info': ['dump'], plugin: ['list'],
  create: [
    'clusterrole', 'clusterrolebinding', 'configmap', 'cm', 'cronjob', 'cj', 'deployment', 'deploy', 'ingress', 'ing', 'job',
    'namespace', 'ns', 'poddisruptionbudget', 'pdb', 'priorityclass', 'pc', 'quota', 'resourcequota', 'role', 'rolebinding',
    'secret', 'service', 'svc', 'serviceaccount', 'sa', 'token',
  ],
  'create secret': ['generic', 'tls', 'docker-registry'],
  'create service': ['clusterip', 'externalname', 'loadbalancer', 'nodeport'],
  'create svc': ['clusterip', 'externalname', 'loadbalancer', 'nodeport'],
  rollout: ['history', 'pause', 'restart', 'resume', 'status', 'undo'],
  set: ['env', 'image', 'resources', 'selector', 'serviceaccount', 'sa', 'subject'],
  auth: ['can-i', 'reconcile', 'whoami'],
  certificate: ['approve', 'deny'],
  top: ['node', 'nodes', 'no', 'pod', 'pods', 'po'],
  config: [
    'current-context', 'delete-cluster', 'delete-context', 'delete-user', 'get-clusters', 'get-contexts', 'get-users',
    'rename-context', 'set', 'set-cluster', 'set-context', 'set-credentials', 'unset', 'use-context', 'use', 'view',
  ],
}

/** OpenShift's `oc` adds these. */
const OC_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  rsh: [], whoami: [], project: [], projects: [], 'new-project': [],
  adm: ['policy', 'drain', 'cordon', 'uncordon', 'taint', 'certificate'],
  'adm policy': [
    'add-cluster-role-to-user', 'add-cluster-role-to-group', 'add-role-to-user', 'add-role-to-group', 'add-scc-to-user',
    'add-scc-to-group', 'remove-cluster-role-from-user', 'remove-cluster-role-from-group', 'remove-role-from-user',
    'remove-role-from-group', 'remove-scc-from-user', 'remove-scc-from-group', 'who-can',
  ],
  'adm certificate': ['approve', 'deny'],
}

/** Command groups that do nothing without a subcommand. */
const NEEDS_SUBCOMMAND: ReadonlySet<string> = new Set([
  'create secret', 'create service', 'create svc', 'rollout', 'set', 'auth', 'certificate', 'top', 'config', 'adm', 'adm policy', 'adm certificate',
])

/** One kubectl invocation, parsed the way kubectl (cobra and pflag) would. */
export interface KubectlArgs {
  readonly program: 'kubectl' | 'oc'
  /** The command words: `['create', 'secret', 'generic']`. */
  readonly command: readonly string[]
  /** Positional arguments after the command words, before `--`. */
  readonly args: readonly string[]
  /** Words after `--` (the command of `exec`, `run`, `debug`), `[]` if none. */
  readonly afterDash: readonly string[]
  /** Flags by long name, every value in order; booleans as `true`/`false`, an optional value left out as `""`. */
  readonly flags: ReadonlyMap<string, readonly string[]>
}

/** Parsed, or why kubectl would not run it. */
export type ParsedArgs = { readonly parsed: KubectlArgs } | { readonly error: string }

const PROGRAMS: Readonly<Record<string, 'kubectl' | 'oc'>> = { kubectl: 'kubectl', k: 'kubectl', oc: 'oc' }

/**
 * Parses the words of a kubectl (or `k`, `oc`) line. The program may be left out
 * (`delete pod x`); flags may come anywhere, global ones before the command too.
 */
export function parseKubectl(words: readonly string[]): ParsedArgs {
  const first = words[0]
  if (first === undefined) return { error: 'empty command' }
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) return { error: 'environment assignments before the command are not supported' }
  // A path could name any program: kubectl is run by name.
  if (first.includes('/') || first.includes('\\')) return { error: `run kubectl by name, not by path (${clip(first)})` }
  const named = PROGRAMS[first]
  const program = named ?? 'kubectl'
  const rest = named === undefined ? words : words.slice(1)
  if (named === undefined && !first.startsWith('-') && COMMANDS[first] === undefined) return { error: `not a kubectl command (${clip(first)})` }
  const tree = program === 'oc' ? { ...COMMANDS, ...OC_COMMANDS } : COMMANDS

  const command: string[] = []
  const args: string[] = []
  let afterDash: string[] = []
  const flags = new Map<string, string[]>()
  const set = (name: string, value: string): void => {
    const values = flags.get(name)
    if (values) values.push(value)
    else flags.set(name, [value])
  }
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string
    if (word === '--') {
      afterDash = rest.slice(i + 1)
      break
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=')
      const name = eq === -1 ? word.slice(2) : word.slice(2, eq)
      const inline = eq === -1 ? undefined : word.slice(eq + 1)
      const spec = longFlag(name, command)
      if (spec === undefined) return { error: `unknown flag --${clip(name)}` }
      if (spec.type === 'bool') {
        const value = inline === undefined ? 'true' : parseBool(inline)
        if (value === undefined) return { error: `flag --${name} takes true or false` }
        set(spec.name, value)
      } else if (spec.type === 'optional' || inline !== undefined) set(spec.name, inline ?? '')
      else {
        const value = rest[++i]
        if (value === undefined) return { error: `flag --${name} needs a value` }
        set(spec.name, value)
      }
      continue
    }
    if (word.startsWith('-') && word.length > 1) {
      // A cluster of one-letter flags: `-it`, `-nprod`, `-n=prod`.
      for (let j = 1; j < word.length; j++) {
        const letter = word[j] as string
        const spec = shortFlag(letter, command)
        if (spec === undefined) return { error: `unknown flag -${clip(letter)}` }
        let inline = word.slice(j + 1)
        if (spec.type === 'bool') {
          if (inline.startsWith('=')) {
            const value = parseBool(inline.slice(1))
            if (value === undefined) return { error: `flag -${letter} takes true or false` }
            set(spec.name, value)
            break
          }
          set(spec.name, 'true')
          continue
        }
        if (inline.startsWith('=')) inline = inline.slice(1)
        if (inline !== '') set(spec.name, inline)
        else if (spec.type === 'optional') set(spec.name, '')
        else {
          const value = rest[++i]
          if (value === undefined) return { error: `flag -${letter} needs a value` }
          set(spec.name, value)
        }
        break
      }
      continue
    }
    const subcommands = tree[command.join(' ')]
    if (command.length === 0) {
      if (tree[word] === undefined) return { error: `unknown ${program} command (${clip(word)})` }
      command.push(word)
    } else if (args.length === 0 && subcommands?.includes(word)) command.push(word)
    else args.push(word)
  }
  if (command.length === 0) return { error: `no ${program} command` }
  if (NEEDS_SUBCOMMAND.has(command.join(' '))) return { error: `${program} ${command.join(' ')} needs a subcommand` }
  return { parsed: { program, command, args, afterDash, flags } }
}

/** The last value of a flag (pflag keeps the last), or `undefined`. */
export function flagValue(k: KubectlArgs, name: string): string | undefined {
  return k.flags.get(name)?.at(-1)
}

/** Every value of a repeatable flag, comma-separated lists split (`--verb=get,list --verb=watch`). */
export function flagList(k: KubectlArgs, name: string): string[] {
  return (k.flags.get(name) ?? []).flatMap((value) => value.split(',')).filter((value) => value !== '')
}

/** Whether a boolean flag is set true. */
export function flagOn(k: KubectlArgs, name: string): boolean {
  return flagValue(k, name) === 'true'
}

/** pflag's boolean spellings, normalized; `undefined` if not one. */
function parseBool(text: string): 'true' | 'false' | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return 'true'
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return 'false'
  return undefined
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text
}
