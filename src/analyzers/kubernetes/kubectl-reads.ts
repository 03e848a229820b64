import { analyzeRequest } from './api-request.js'
import { type Assessment, RANK } from './assessment.js'
import { type KubectlArgs, flagOn, flagValue } from './kubectl-args.js'
import { type KubectlContext, addPodRef, addResourceArgs, fileObjects } from './kubectl-targets.js'
import { isSecretResource } from './resources.js'
import { flagVerbEffects } from './verb-effects.js'

/** Output formats that print objects whole, secret values included. */
const FULL_OUTPUT = /^(yaml|json|jsonpath|jsonpath-file|jsonpath-as-json|go-template|go-template-file|template|templatefile|custom-columns|custom-columns-file)\b/
/** Commands that only talk to discovery or run locally. */
const DISCOVERY: ReadonlySet<string> = new Set(['explain', 'version', 'api-resources', 'api-versions'])
const LOCAL: ReadonlySet<string> = new Set(['completion', 'options', 'help', 'kustomize', 'plugin'])
const CONFIG_READS: ReadonlySet<string> = new Set(['view', 'current-context', 'get-contexts', 'get-clusters', 'get-users'])

/** Handles the commands that read: get, describe, logs, top, wait, events, auth, config, proxy… Returns false for others. */
export function handleReadCommand(a: Assessment, k: KubectlArgs, ctx: KubectlContext): boolean {
  const [command = '', sub = ''] = k.command
  switch (command) {
    case 'get':
    case 'describe':
      get(a, k, ctx, command)
      return true
    case 'logs': {
      a.useVerb(k.flags.has('selector') ? 'list' : 'get')
      a.action = 'read logs of'
      if (k.args[0] !== undefined) a.subject = addPodRef(a, k.args[0]).label
      else a.addTarget({ resource: 'pods' })
      return true
    }
    case 'top': {
      const resource = sub.startsWith('no') ? 'nodes' : 'pods'
      a.useVerb(k.args.length > 0 ? 'get' : 'list')
      a.action = 'top'
      addResourceArgs(a, [resource, ...k.args])
      return true
    }
    case 'wait':
      a.useVerb('watch')
      a.addVerbs('get')
      a.action = 'wait for'
      if (addResourceArgs(a, k.args) !== null) fileObjects(a, k, ctx)
      flagVerbEffects(a)
      return true
    case 'events':
      a.useVerb(flagOn(k, 'watch') ? 'watch' : 'list')
      a.action = 'list'
      a.addTarget({ resource: 'events' })
      return true
    case 'auth':
      auth(a, k, sub)
      return true
    case 'config':
      config(a, k, sub)
      return true
    case 'cluster-info':
      a.useVerb('list')
      a.summaryLine = sub === 'dump' ? 'cluster-info dump' : 'cluster-info'
      a.addTarget({ resource: 'services', namespace: sub === 'dump' ? undefined : 'kube-system' })
      if (sub === 'dump') a.note(RANK.note, 'dumps cluster state and pod logs')
      return true
    case 'proxy':
      // The proxy serves the whole API with the gateway's credentials to whoever reaches it.
      a.useVerb('proxy')
      a.action = 'kubectl proxy'
      a.privileged = true
      a.rbacEscalation = true
      a.secretsAccess = true
      a.note(RANK.escalation, `serves the whole Kubernetes API with the gateway's credentials (kubectl proxy on ${flagValue(k, 'address') ?? '127.0.0.1'}:${flagValue(k, 'port') ?? '8001'})`)
      return true
    // oc
    case 'whoami':
      a.useVerb('get')
      a.action = 'whoami'
      if (flagOn(k, 'show-token')) a.flagSecrets('prints the session token (whoami -t)')
      return true
    case 'projects':
      a.useVerb('list')
      a.action = 'list'
      a.addTarget({ resource: 'namespaces' })
      return true
    case 'project':
      a.action = 'project'
      if (k.args.length > 0) a.flagDestructive(`switches the gateway's current project to ${k.args[0] ?? ''}`)
      return true
    default:
      if (DISCOVERY.has(command)) {
        a.useVerb('get')
        a.action = command
        return true
      }
      if (LOCAL.has(command)) {
        a.action = k.command.join(' ')
        return true
      }
      return false
  }
}

function get(a: Assessment, k: KubectlArgs, ctx: KubectlContext, command: string): void {
  const raw = flagValue(k, 'raw')
  if (raw !== undefined) return analyzeRequest(a, { method: 'GET', path: raw })
  const targets = addResourceArgs(a, k.args)
  if (targets === null) return
  const files = fileObjects(a, k, ctx)
  if (files === null) return
  if (targets.length === 0 && !files.any) return a.fail(`${command} needs a resource type`)
  if (files.unseen.length > 0) a.flagSecrets(`reads the objects named in ${files.unseen.join(', ')}, which are not shown`)
  const watching = flagOn(k, 'watch') || flagOn(k, 'watch-only')
  const collection = a.targets.some((t) => t.name === '') || k.flags.has('selector')
  if (watching) a.useVerb('watch')
  a.useVerb(collection ? 'list' : 'get')
  a.action = command
  flagVerbEffects(a)
  const output = flagValue(k, 'output') ?? ''
  if (command === 'get' && FULL_OUTPUT.test(output) && a.targets.some((t) => isSecretResource(t.resource))) {
    a.flagSecrets(`prints secret values (-o ${output.split('=')[0] ?? output})`)
  }
}

function auth(a: Assessment, k: KubectlArgs, sub: string): void {
  a.useVerb('create')
  a.action = `auth ${sub}`
  if (sub === 'whoami') {
    a.addTarget({ resource: 'selfsubjectreviews' })
    return
  }
  a.addTarget({ resource: flagOn(k, 'list') ? 'selfsubjectrulesreviews' : 'selfsubjectaccessreviews' })
  a.subject = k.args.join(' ')
}

function config(a: Assessment, k: KubectlArgs, sub: string): void {
  a.action = `config ${sub}`
  if (CONFIG_READS.has(sub)) {
    if (sub === 'view' && flagOn(k, 'raw')) a.flagSecrets('prints the kubeconfig with its credentials (config view --raw)')
    return
  }
  // The kubeconfig is the gateway's: changing it changes where and as whom later actions run.
  a.flagDestructive(`changes the gateway's kubeconfig (config ${sub})`)
  if (sub === 'set-credentials' || sub === 'set') a.flagSecrets('writes credentials into the kubeconfig')
}
