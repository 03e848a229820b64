import { type Assessment, RANK, type Target } from './assessment.js'
import { type KubectlArgs, flagList, flagOn, flagValue } from './kubectl-args.js'
import { type KubectlContext, addResourceArgs, fileObjects } from './kubectl-targets.js'
import { aggregationLabel } from './rbac.js'
import { flagVerbEffects, where } from './verb-effects.js'

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce'

/**
 * Handles commands that change live objects in place: label, annotate, scale, autoscale, expose,
 * set, rollout, cordon, uncordon, drain, taint, certificate, oc new-project. Returns false for others.
 */
export function handleChangeCommand(a: Assessment, k: KubectlArgs, ctx: KubectlContext): boolean {
  const [command = '', sub = ''] = k.command
  switch (command) {
    case 'label':
    case 'annotate':
      labelOrAnnotate(a, k, ctx, command)
      return true
    case 'scale':
      scale(a, k, ctx)
      return true
    case 'autoscale':
    case 'expose':
      createFor(a, k, ctx, command)
      return true
    case 'set':
      set(a, k, ctx, sub)
      return true
    case 'rollout':
      a.useVerb(sub === 'history' || sub === 'status' ? 'get' : 'patch')
      if (sub === 'status') a.addVerbs('watch')
      a.action = `rollout ${sub}`
      if (sub === 'undo') {
        const revision = flagValue(k, 'to-revision')
        a.detail = revision === undefined || revision === '0' ? ' to the previous revision' : ` to revision ${revision}`
      }
      if (addResourceArgs(a, k.args) !== null && fileObjects(a, k, ctx) !== null) flagVerbEffects(a)
      return true
    case 'cordon':
    case 'uncordon':
      a.useVerb('patch')
      a.action = command
      nodes(a, k)
      return true
    case 'drain':
      drain(a, k)
      return true
    case 'taint':
      taint(a, k)
      return true
    case 'new-project':
      a.useVerb('create')
      a.action = 'create project'
      if (k.args[0] === undefined) a.fail('new-project needs a name')
      else a.addTarget({ resource: 'namespaces', name: k.args[0] })
      return true
    case 'certificate':
      a.useVerb('update')
      a.action = `certificate ${sub}`
      addResourceArgs(a, ['certificatesigningrequests', ...k.args])
      fileObjects(a, k, ctx)
      if (sub === 'approve') {
        for (const target of a.targets) a.flagEscalation(`approves certificate signing request ${target.name || '(from a file)'} (can mint credentials for any identity)`)
      }
      return true
    default:
      return false
  }
}

function labelOrAnnotate(a: Assessment, k: KubectlArgs, ctx: KubectlContext, command: string): void {
  const isChange = (arg: string, i: number): boolean => i > 0 && (arg.includes('=') || arg.endsWith('-'))
  const changes = k.args.filter(isChange)
  const resources = k.args.filter((arg, i) => !isChange(arg, i))
  if (addResourceArgs(a, resources) === null || fileObjects(a, k, ctx) === null) return
  const listing = flagOn(k, 'list')
  a.useVerb(listing ? 'get' : 'patch')
  a.action = command
  flagVerbEffects(a)
  if (listing || command !== 'label') return
  const namespaces = names(a.targets.filter((t) => t.resource === 'namespaces'))
  const clusterRoles = names(a.targets.filter((t) => t.resource === 'clusterroles'))
  for (const change of changes) {
    const removed = change.endsWith('-') && !change.includes('=')
    const key = removed ? change.slice(0, -1) : change.slice(0, change.indexOf('='))
    const value = removed ? undefined : change.slice(change.indexOf('=') + 1)
    if (namespaces !== '' && key === ENFORCE_LABEL) {
      if (removed) a.flagPrivileged(`removes Pod Security enforcement from namespace ${namespaces}`)
      else if (value?.toLowerCase() === 'privileged') a.flagPrivileged(`allows privileged pods in namespace ${namespaces} (${ENFORCE_LABEL}=privileged)`)
    }
    if (clusterRoles !== '' && !removed && aggregationLabel(key, value)) {
      a.flagEscalation(`adds the rules of ClusterRole ${clusterRoles}, not shown, to ${key.slice(key.lastIndexOf('-to-') + 4)} (${key})`)
    }
  }
}

/** `prod`, `prod and 3 more`, or `(all selected)`; `""` when there are no such targets. */
function names(targets: readonly Target[]): string {
  if (targets.length === 0) return ''
  const [first] = targets
  const name = first?.name === '' ? '(all selected)' : (first?.name ?? '')
  return targets.length === 1 ? name : `${name} and ${targets.length - 1} more`
}

function scale(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  a.useVerb('patch')
  a.action = 'scale'
  if (addResourceArgs(a, k.args) === null || fileObjects(a, k, ctx) === null) return
  const replicas = flagValue(k, 'replicas')
  if (replicas === undefined) return a.fail('scale needs --replicas')
  a.detail = ` to ${replicas} replicas`
  if (Number(replicas) === 0) {
    for (const target of a.targets) {
      const label = target.name === '' ? `all ${target.resource}` : `${target.resource}/${target.name}`
      a.flagDestructive(`scales ${label}${where(a, target)} to 0 replicas`)
    }
  }
}

/** `autoscale` and `expose` create an object for an existing one, named after it unless `--name`. */
function createFor(a: Assessment, k: KubectlArgs, ctx: KubectlContext, command: string): void {
  a.useVerb('create')
  a.action = command
  const sources = addResourceArgs(a, k.args)
  if (sources === null || fileObjects(a, k, ctx) === null) return
  const resource = command === 'autoscale' ? 'horizontalpodautoscalers' : 'services'
  const name = flagValue(k, 'name') ?? sources.find((t) => t.name !== '')?.name ?? ''
  a.targets.splice(0, a.targets.length)
  a.addTarget({ resource, name })
  const type = flagValue(k, 'type') ?? ''
  if (command === 'expose' && /^(loadbalancer|nodeport)$/i.test(type)) a.note(RANK.note, `exposes ${k.args.join(' ')} outside the cluster (type ${type})`)
}

function set(a: Assessment, k: KubectlArgs, ctx: KubectlContext, sub: string): void {
  a.useVerb('patch')
  a.action = `set ${sub}`
  // Resources come first; the assignments or names after them (`c=image`, `KEY=VAL`, a service account).
  let resources = k.args
  if (sub === 'image' || sub === 'env' || sub === 'resources') resources = k.args.filter((arg) => !arg.includes('=') && !(sub === 'env' && arg.endsWith('-')))
  else if (sub === 'serviceaccount' || sub === 'sa' || sub === 'selector') resources = k.args.slice(0, -1)
  if (addResourceArgs(a, resources) === null || fileObjects(a, k, ctx) === null) return
  flagVerbEffects(a)
  const targets = a.targets.map((t) => (t.name === '' ? t.resource : `${t.resource}/${t.name}`)).join(', ')
  if (sub === 'image') a.detail = ` (${k.args.filter((arg) => arg.includes('=')).join(', ')})`
  if (sub === 'env') {
    for (const from of flagList(k, 'from')) {
      if (/^secrets?\//i.test(from)) a.flagSecrets(`copies ${from} into the environment of ${targets}`)
    }
  }
  if (sub === 'serviceaccount' || sub === 'sa') a.note(RANK.note, `runs ${targets} as serviceaccount ${k.args.at(-1) ?? ''}`)
  if (sub === 'subject') {
    const subjects = [...flagList(k, 'user').map((u) => `user ${u}`), ...flagList(k, 'group').map((g) => `group ${g}`), ...flagList(k, 'serviceaccount').map((s) => `serviceaccount ${s.replace(':', '/')}`)]
    a.flagEscalation(`adds ${subjects.join(', ') || 'subjects'} to ${targets}, whose role is not shown`)
  }
}

/** Node names (`cordon node-1 node-2`), or every node a selector picks. */
function nodes(a: Assessment, k: KubectlArgs): void {
  if (k.args.length === 0) a.addTarget({ resource: 'nodes' })
  for (const arg of k.args) a.addTarget({ resource: 'nodes', name: arg.replace(/^(nodes?|no)\//, '') })
}

function drain(a: Assessment, k: KubectlArgs): void {
  a.useVerb('evict')
  a.addVerbs('patch', 'list')
  a.action = 'drain'
  nodes(a, k)
  if (flagOn(k, 'disable-eviction')) {
    a.addVerbs('delete')
    a.flagDestructive('deletes pods, bypassing PodDisruptionBudgets (--disable-eviction)')
  }
  for (const target of a.targets) a.flagDestructive(`drains node ${target.name || '(selected nodes)'} (evicts its pods)`)
  if (flagOn(k, 'delete-emptydir-data') || flagOn(k, 'delete-local-data')) a.flagDestructive('deletes emptyDir data of the evicted pods')
  if (flagOn(k, 'force')) a.flagDestructive('deletes pods not managed by a controller (--force)')
}

function taint(a: Assessment, k: KubectlArgs): void {
  a.useVerb('patch')
  a.action = 'taint'
  const [first = '', ...rest] = k.args
  const isTaint = (arg: string): boolean => arg.includes('=') || arg.includes(':') || arg.endsWith('-')
  if (first.includes('/')) nodes(a, { ...k, args: [first, ...rest.filter((arg) => !isTaint(arg))] })
  else nodes(a, { ...k, args: rest.filter((arg) => !isTaint(arg)) })
  for (const change of rest.filter(isTaint)) {
    if (!change.endsWith('-') && /:NoExecute$/i.test(change)) {
      for (const target of a.targets) a.flagDestructive(`evicts pods without a matching toleration from node ${target.name || '(selected nodes)'} (NoExecute taint)`)
    }
  }
}
