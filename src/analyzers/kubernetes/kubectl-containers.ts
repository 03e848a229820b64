import { type Assessment, RANK } from './assessment.js'
import { describeExec, secretPathIn } from './exec-command.js'
import { type KubectlArgs, flagOn, flagValue } from './kubectl-args.js'
import { type KubectlContext, addPodRef } from './kubectl-targets.js'
import { parseYamlValue } from './manifest.js'
import { findPrivileges, privilegeSentence } from './pod-security.js'
import { where } from './verb-effects.js'

/** `kubectl debug --profile` values and what they add to the debug container. */
const DEBUG_PROFILES: Readonly<Record<string, string | null>> = {
  '': null, legacy: null, general: null, baseline: null, restricted: null,
  sysadmin: 'privileged (--profile=sysadmin)',
  netadmin: 'adds capabilities NET_ADMIN, NET_RAW (--profile=netadmin)',
}
const LOOPBACK = /^(localhost|127\.0\.0\.1|::1)$/

/** Handles commands that run in or reach into containers: exec, attach, cp, run, debug, port-forward, oc rsh. Returns false for others. */
export function handleContainerCommand(a: Assessment, k: KubectlArgs, ctx: KubectlContext): boolean {
  const [command = ''] = k.command
  switch (command) {
    case 'exec':
    case 'attach':
    case 'rsh':
      execOrAttach(a, k, ctx, command)
      return true
    case 'cp':
      copy(a, k)
      return true
    case 'run':
      run(a, k, ctx)
      return true
    case 'debug':
      debug(a, k, ctx)
      return true
    case 'port-forward':
      portForward(a, k)
      return true
    default:
      return false
  }
}

function execOrAttach(a: Assessment, k: KubectlArgs, ctx: KubectlContext, command: string): void {
  const [pod, ...rest] = k.args
  if (pod === undefined) return a.fail(`${command} needs a pod`)
  const verb = command === 'attach' ? 'attach' : 'exec'
  a.useVerb(verb)
  a.action = command === 'attach' ? 'attach to' : 'exec into'
  const ref = addPodRef(a, pod)
  a.subject = ref.label
  const container = flagValue(k, 'container')
  const phrase = `${a.action} ${ref.label}${container === undefined ? '' : ` container ${container}`}${where(a, ref.target)}`
  // `oc rsh` opens a shell with a terminal unless told otherwise; `exec POD CMD` is the old form of `exec POD -- CMD`.
  let argv = k.afterDash.length > 0 ? k.afterDash : rest
  if (command === 'rsh' && argv.length === 0) argv = ['/bin/sh']
  const stdin = flagOn(k, 'stdin') || command === 'rsh'
  describeExec(a, phrase, command === 'attach' ? [] : argv, stdin && (flagOn(k, 'tty') || command === 'rsh'))
  readsStdin(a, ctx, stdin)
}

function copy(a: Assessment, k: KubectlArgs): void {
  const [source = '', destination = ''] = k.args
  const remote = (spec: string): { namespace: string; pod: string; path: string } | null => {
    const match = /^(?:([^/:]+)\/)?([^/:]+):(.*)$/.exec(spec)
    return match ? { namespace: match[1] ?? '', pod: match[2] ?? '', path: match[3] ?? '' } : null
  }
  const from = remote(source)
  const to = remote(destination)
  if (k.args.length !== 2 || (from === null) === (to === null)) return a.fail('cp needs one local and one POD:PATH argument')
  const side = (from ?? to) as { namespace: string; pod: string; path: string }
  // kubectl cp runs tar in the container through exec.
  a.useVerb('exec')
  a.action = from ? 'copy files out of' : 'copy files into'
  const target = a.addTarget({ resource: 'pods', name: side.pod, namespace: side.namespace || undefined })
  a.subject = `pod ${side.pod}`
  const at = where(a, target)
  a.flagInteractive(from ? `copies ${side.path} out of pod ${side.pod}${at}` : `copies ${source} into pod ${side.pod}${at} at ${side.path}`)
  // The local side is on the machine running kubectl: the gateway's, when brokered.
  if (from) a.flagDestructive(`writes local file ${destination} on the machine running kubectl`)
  else a.flagSecrets(`reads local file ${source} on the machine running kubectl`)
  const secret = secretPathIn(side.path)
  if (secret !== null) a.flagSecrets(`reads credential files in the container (${secret})`)
}

function run(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  const [name] = k.args
  if (name === undefined) return a.fail('run needs a pod name')
  a.useVerb('create')
  a.action = 'run'
  const target = a.addTarget({ resource: 'pods', name })
  const image = flagValue(k, 'image')
  if (image === undefined) return a.fail('run needs --image')
  a.detail = ` (image ${image})`
  if (flagOn(k, 'privileged')) a.flagPrivileged(`runs pod ${name} privileged (--privileged)`)
  overrides(a, k, `pod ${name}`)
  const stdin = flagOn(k, 'stdin')
  if (stdin || flagOn(k, 'tty') || flagOn(k, 'attach')) {
    a.addVerbs('attach')
    describeExec(a, `runs pod ${name}${where(a, target)} and attaches to it`, k.afterDash, stdin && flagOn(k, 'tty'))
  }
  readsStdin(a, ctx, stdin)
}

function debug(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  const [subject] = k.args
  if (subject === undefined) return a.fail('debug needs a pod or node')
  if (k.flags.has('filename')) return a.fail('debug -f is not supported')
  a.action = 'debug'
  const node = /^(nodes?|no)\/(.+)$/.exec(subject)
  const copyTo = flagValue(k, 'copy-to')
  let phrase: string
  if (node) {
    a.useVerb('create')
    const name = node[2] ?? ''
    a.addTarget({ resource: 'pods' })
    a.subject = `node ${name}`
    phrase = `debug node ${name}`
    a.flagPrivileged(`debug pod on node ${name} with the host's namespaces and root filesystem (hostPID, hostNetwork, hostPath /)`)
  } else if (copyTo !== undefined) {
    a.useVerb('create')
    const ref = addPodRef(a, subject)
    a.addTarget({ resource: 'pods', name: copyTo })
    a.subject = `a copy of ${ref.label} (${copyTo})`
    phrase = `debug a copy of ${ref.label}${where(a, ref.target)}`
  } else {
    // An ephemeral container is added through the pod's ephemeralcontainers subresource.
    a.useVerb('patch')
    const ref = addPodRef(a, subject)
    a.subject = ref.label
    phrase = `debug ${ref.label}${where(a, ref.target)} with an ephemeral container`
  }
  const profile = (flagValue(k, 'profile') ?? '').toLowerCase()
  const added = DEBUG_PROFILES[profile]
  if (added === undefined) a.flagPrivileged(`debug profile ${profile} is not known: treated as privileged`)
  else if (added !== null) a.flagPrivileged(`debug container ${added}`)
  if (k.flags.has('custom')) a.flagPrivileged(`debug container customized from ${flagValue(k, 'custom') ?? ''}, which is not shown`)
  const image = flagValue(k, 'image')
  if (image !== undefined) a.detail = ` (image ${image})`
  const stdin = flagOn(k, 'stdin')
  if (stdin || flagOn(k, 'tty') || flagOn(k, 'attach')) a.addVerbs('attach')
  describeExec(a, phrase, k.afterDash, stdin && flagOn(k, 'tty'))
  readsStdin(a, ctx, stdin)
}

function portForward(a: Assessment, k: KubectlArgs): void {
  const [subject, ...ports] = k.args
  if (subject === undefined || ports.length === 0) return a.fail('port-forward needs a pod and ports')
  a.useVerb('portforward')
  a.action = 'port-forward to'
  const ref = addPodRef(a, subject)
  a.subject = ref.label
  a.note(RANK.access, `opens a tunnel to ${ref.label}${where(a, ref.target)} (ports ${ports.join(', ')})`)
  const addresses = (flagValue(k, 'address') ?? 'localhost').split(',')
  const open = addresses.filter((address) => !LOOPBACK.test(address))
  if (open.length > 0) a.note(RANK.access, `listens on ${open.join(', ')}: reachable from other hosts`)
}

/** `--overrides` JSON merged into the generated object: read like a manifest. */
function overrides(a: Assessment, k: KubectlArgs, where: string): void {
  const text = flagValue(k, 'overrides')
  if (text === undefined) return
  const parsed = parseYamlValue(text)
  if ('error' in parsed) {
    a.flagPrivileged(`--overrides that cannot be read (${parsed.error}): treated as privileged`)
    return
  }
  const reasons = findPrivileges(parsed.value)
  if (reasons.length > 0) a.flagPrivileged(privilegeSentence(`${where} (--overrides)`, reasons))
}

/** With `-i`, the attached manifest is what the container's command reads. */
function readsStdin(a: Assessment, ctx: KubectlContext, stdin: boolean): void {
  if (!stdin || ctx.manifest === undefined) return
  ctx.manifestRead = true
  a.note(RANK.access, "sends the attached manifest text to the command's stdin")
}
