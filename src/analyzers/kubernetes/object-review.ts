import { type Assessment, RANK, type Target } from './assessment.js'
import { isZero, member, text } from './json-values.js'
import { findPrivileges, privilegeSentence } from './pod-security.js'
import { labelsOf, rbacEscalations, type RoleGrant, roleGrants } from './rbac.js'
import { isRbacResource, isSecretResource, mayCarryPrivilege } from './resources.js'
import { secretRefs } from './secret-refs.js'

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce'

/** An object an action writes, whole (a manifest, a create/update body) or partial (a patch). */
export interface WrittenObject {
  readonly target: Target
  readonly body: Readonly<Record<string, unknown>>
  readonly partial: boolean
}

/**
 * Flags what writing these objects would do: privileged pods, RBAC escalation (a binding's role is
 * looked up among the same objects), namespaces opened to privileged pods, mutating webhooks,
 * workloads scaled to zero; and records the secrets workloads mount or reference (`secret_refs`,
 * a note, no flag). (Secrets are flagged by the verb, whatever is written: see `flagVerbEffects`.)
 */
export function reviewWrites(a: Assessment, objects: readonly WrittenObject[]): void {
  const roles = new Map<string, readonly RoleGrant[]>()
  for (const { target, body } of objects) {
    if (target.kind === 'Role' || target.kind === 'ClusterRole') roles.set(roleKey(target.kind, target.name, target.namespace), roleGrants(body))
  }
  const lookup = (kind: string, name: string, namespace: string): readonly RoleGrant[] | undefined => roles.get(roleKey(kind, name, namespace))
  for (const { target, body, partial } of objects) {
    const { resource, name } = target
    const where = `${target.kind || resource} ${name}`.trim()
    if (isRbacResource(resource)) {
      const rbacObject = { kind: target.kind, name, namespace: target.namespace, body, partial }
      for (const finding of rbacEscalations(rbacObject, lookup)) {
        a.flagEscalation(finding.text)
        if (finding.secrets) a.flagSecrets(finding.text)
      }
    }
    if (mayCarryPrivilege(resource)) {
      const reasons = findPrivileges(body)
      if (reasons.length > 0) a.flagPrivileged(privilegeSentence(where, reasons))
      const refs = secretRefs(body)
      if (refs.length > 0) {
        a.secretRefs.set(target, refs)
        a.note(RANK.secrets, `${where} gives its containers ${refs.join(', ')}`)
      }
    }
    if (resource === 'namespaces') {
      const level = labelsOf(body)[ENFORCE_LABEL]
      if (typeof level === 'string' && level.toLowerCase() === 'privileged') {
        a.flagPrivileged(`allows privileged pods in namespace ${name} (${ENFORCE_LABEL}=privileged)`)
      }
    }
    if (resource === 'mutatingwebhookconfigurations') a.flagPrivileged(`${where} can rewrite any object the API server admits, pods included (mutating webhook)`)
    if (isZero(member(body.spec, 'replicas'))) a.flagDestructive(`scales ${resource}/${name} to 0 replicas`)
  }
}

/**
 * Fails closed for a write whose content the analysis cannot see (`kubectl edit`, `apply -f
 * file`, a request without a body): whatever the resource could carry counts as present. An
 * unknown resource (`""`) could carry anything.
 */
export function unseenWrite(a: Assessment, resource: string, what: string): void {
  const risks: string[] = []
  let rank: (typeof RANK)[keyof typeof RANK] = RANK.note
  if (resource === '' || isRbacResource(resource)) {
    a.rbacEscalation = true
    risks.push('escalating')
    rank = RANK.escalation
  }
  if (resource === '' || mayCarryPrivilege(resource)) {
    a.privileged = true
    risks.push('privileged')
    if (rank === RANK.note) rank = RANK.privileged
  }
  if (resource === '' || isSecretResource(resource)) {
    a.secretsAccess = true
    risks.push('reading secrets')
    if (rank === RANK.note) rank = RANK.secrets
  }
  const treated = risks.length > 0 ? `: treated as ${risks.join(', ')}` : ''
  a.note(rank, `${what} without showing the content${treated}`)
}

/** The name of an object from its body, for writes that do not name it otherwise. */
export function nameOf(body: unknown): string {
  return text(member(body, 'metadata'), 'name')
}

function roleKey(kind: string, name: string, namespace: string): string {
  return `${kind}\u0000${kind === 'Role' ? namespace : ''}\u0000${name}`
}
