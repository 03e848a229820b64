import { elements, isOff, isOn, isRecord, isZero, member, text } from './json-values.js'

/** Deeper than this, an object is not inspected and counts as privileged. */
const MAX_DEPTH = 64
const REASONS_LISTED = 6

const CONTAINER_LISTS: ReadonlySet<string> = new Set(['containers', 'initcontainers', 'ephemeralcontainers'])
const HOST_NAMESPACES: ReadonlyMap<string, string> = new Map([['hostnetwork', 'hostNetwork'], ['hostpid', 'hostPID'], ['hostipc', 'hostIPC']])
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/'

/** One reason an object runs with host or elevated access; `container` when it is one container's. */
export interface PrivilegeReason {
  readonly container: string | null
  readonly text: string
}

/**
 * Finds host and privilege access anywhere in an object or patch: pod specs of any kind
 * (Pods, workloads' templates, CronJobs, custom resources embedding pod templates), partial
 * patches (`{"spec":{"template":{"spec":{"hostNetwork":true}}}}`) and PersistentVolumes'
 * `hostPath`. Keys are matched wherever they appear, which fails closed for unknown shapes.
 *
 * @example
 * findPrivileges({ spec: { hostPID: true, containers: [{ name: 'a', securityContext: { privileged: true } }] } })
 * // [{ container: null, text: 'hostPID' }, { container: 'a', text: 'privileged' }]
 */
export function findPrivileges(value: unknown): PrivilegeReason[] {
  const out: PrivilegeReason[] = []
  walk(value, null, 0, out)
  return out
}

/** The highlight for an object's reasons: `privileged container \`debug\` in Deployment api (privileged, hostPath /)`. */
export function privilegeSentence(where: string, reasons: readonly PrivilegeReason[]): string {
  const containers = [...new Set(reasons.flatMap((r) => (r.container === null ? [] : [r.container])))]
  const texts = [...new Set(reasons.map((r) => r.text))]
  const more = texts.length > REASONS_LISTED ? `, +${texts.length - REASONS_LISTED} more` : ''
  const why = `(${texts.slice(0, REASONS_LISTED).join(', ')}${more})`
  if (containers.length === 0) return `host access in ${where} ${why}`
  const names = containers.map((name) => `\`${name}\``).join(', ')
  return `privileged container${containers.length > 1 ? 's' : ''} ${names} in ${where} ${why}`
}

function walk(node: unknown, container: string | null, depth: number, out: PrivilegeReason[]): void {
  if (depth > MAX_DEPTH) {
    out.push({ container, text: 'nested too deep to inspect' })
    return
  }
  if (Array.isArray(node)) {
    for (const item of node) walk(item, container, depth + 1, out)
    return
  }
  if (!isRecord(node)) return
  for (const [key, value] of Object.entries(node)) {
    // Keys are compared ignoring case: API servers before 1.23 decoded JSON case-insensitively.
    const field = key.toLowerCase()
    if (CONTAINER_LISTS.has(field)) {
      for (const item of elements(value)) {
        const name = text(item, 'name') || '(unnamed)'
        walk(item, name, depth + 1, out)
      }
    } else if (field === 'securitycontext') securityContext(value, container, out)
    else if (HOST_NAMESPACES.has(field)) {
      if (isOn(value)) out.push({ container: null, text: HOST_NAMESPACES.get(field) as string })
    } else if (field === 'hostpath') {
      const path = text(value, 'path')
      if (value !== null && value !== undefined) out.push({ container: null, text: path === '' ? 'hostPath' : `hostPath ${path}` })
    } else if (field === 'hostport') {
      if (value !== null && value !== undefined && !isZero(value)) out.push({ container, text: `hostPort ${String(value)}` })
    } else if (field === 'metadata') annotations(value, out)
    else walk(value, container, depth + 1, out)
  }
}

function securityContext(context: unknown, container: string | null, out: PrivilegeReason[]): void {
  if (!isRecord(context)) return
  const add = (reason: string): void => {
    out.push({ container, text: reason })
  }
  // Every key spelled like the field counts, whatever its case: the most permissive one wins.
  const all = (name: string): unknown[] => Object.entries(context).filter(([key]) => key.toLowerCase() === name).map(([, value]) => value)
  if (all('privileged').some(isOn)) add('privileged')
  if (all('allowprivilegeescalation').some(isOn)) add('allowPrivilegeEscalation')
  const added = all('capabilities').flatMap((caps) => elements(member(caps, 'add'))).map((cap) => String(cap).toUpperCase().replace(/^CAP_/, ''))
  if (added.length > 0) add(`adds capabilities ${added.join(', ')}`)
  if (all('runasuser').some((user) => user !== null && user !== undefined && isZero(user))) add('runs as root (runAsUser 0)')
  if (all('runasnonroot').some(isOff)) add('runAsNonRoot false')
  if (all('windowsoptions').some((options) => isOn(member(options, 'hostProcess')))) add('Windows hostProcess')
  if (all('seccompprofile').some((profile) => unconfined(text(profile, 'type')))) add('seccomp Unconfined')
  if (all('apparmorprofile').some((profile) => unconfined(text(profile, 'type')))) add('AppArmor Unconfined')
  if (all('procmount').some((mount) => typeof mount === 'string' && mount.toLowerCase() === 'unmasked')) add('procMount Unmasked')
}

function unconfined(type: string): boolean {
  return type.toLowerCase() === 'unconfined'
}

/** The AppArmor annotation of pod templates, the pre-1.30 way to unconfine a container. */
function annotations(metadata: unknown, out: PrivilegeReason[]): void {
  const found = member(metadata, 'annotations')
  if (!isRecord(found)) return
  for (const [key, value] of Object.entries(found)) {
    if (key.startsWith(APPARMOR_ANNOTATION) && typeof value === 'string' && value.toLowerCase() === 'unconfined') {
      out.push({ container: key.slice(APPARMOR_ANNOTATION.length), text: 'AppArmor unconfined' })
    }
  }
}
