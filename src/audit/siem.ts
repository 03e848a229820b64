import type { AuditEventType } from './event.js'

/**
 * Audit events for a SIEM: OCSF 1.3.0 events (Splunk, Datadog, Elastic, Security Lake read them)
 * and CloudEvents 1.0 envelopes. Both carry the event's seq and chain hash, so what a SIEM holds
 * can be checked against the log.
 *
 * OCSF classes used:
 * - API Activity (6003, Application Activity): an action's lifecycle and its reviews, the
 *   operation being the event type: Create (1) for `action.submitted`, Update (3) for a decision
 *   or review, Other (99) for execution.
 * - Account Change (3001, Identity & Access Management): `token.created` Create (1),
 *   `token.revoked` Delete (6): credentials of an agent or a human; `grant.created` Attach Policy
 *   (7) and `grant.revoked` Detach Policy (8): a narrowing grant (and `delegation.*`, review rights lent); `passkey.registered` MFA Factor
 *   Enable (10) and `passkey.revoked` MFA Factor Disable (11).
 * - Application Lifecycle (6002, Application Activity): `policy.loaded` Update (8);
 *   `audit.pruned` Other (99): the log's oldest events were archived and removed from the store.
 */

/** The OCSF version the events follow. */
export const OCSF_VERSION = '1.3.0'

interface OcsfClass {
  readonly categoryUid: number
  readonly categoryName: string
  readonly classUid: number
  readonly className: string
}

const API_ACTIVITY: OcsfClass = { categoryUid: 6, categoryName: 'Application Activity', classUid: 6003, className: 'API Activity' }
const ACCOUNT_CHANGE: OcsfClass = { categoryUid: 3, categoryName: 'Identity & Access Management', classUid: 3001, className: 'Account Change' }
const APPLICATION_LIFECYCLE: OcsfClass = { categoryUid: 6, categoryName: 'Application Activity', classUid: 6002, className: 'Application Lifecycle' }

/** Every event type's OCSF class and activity; a new type without one fails to compile. */
export const OCSF_MAPPING: Readonly<Record<AuditEventType, { readonly of: OcsfClass; readonly activityId: number; readonly activityName: string; readonly outcome: 'success' | 'failure' | 'unknown' }>> = {
  'action.submitted': { of: API_ACTIVITY, activityId: 1, activityName: 'Create', outcome: 'success' },
  'action.allowed': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'success' },
  'action.denied': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'failure' },
  'action.pending': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'unknown' },
  'review.approve': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'success' },
  'review.deny': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'failure' },
  'action.approved': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'success' },
  'action.expired': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'failure' },
  'action.cancelled': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'failure' },
  'action.executing': { of: API_ACTIVITY, activityId: 99, activityName: 'Other', outcome: 'unknown' },
  'action.succeeded': { of: API_ACTIVITY, activityId: 99, activityName: 'Other', outcome: 'success' },
  'action.failed': { of: API_ACTIVITY, activityId: 99, activityName: 'Other', outcome: 'failure' },
  'token.created': { of: ACCOUNT_CHANGE, activityId: 1, activityName: 'Create', outcome: 'success' },
  'token.revoked': { of: ACCOUNT_CHANGE, activityId: 6, activityName: 'Delete', outcome: 'success' },
  'policy.loaded': { of: APPLICATION_LIFECYCLE, activityId: 8, activityName: 'Update', outcome: 'success' },
  'request.reminded': { of: API_ACTIVITY, activityId: 99, activityName: 'Other', outcome: 'success' },
  'request.escalated': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'success' },
  'break_glass.used': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'success' },
  'break_glass.reviewed': { of: API_ACTIVITY, activityId: 3, activityName: 'Update', outcome: 'success' },
  'break_glass.overdue': { of: API_ACTIVITY, activityId: 99, activityName: 'Other', outcome: 'failure' },
  'delegation.created': { of: ACCOUNT_CHANGE, activityId: 7, activityName: 'Attach Policy', outcome: 'success' },
  'delegation.revoked': { of: ACCOUNT_CHANGE, activityId: 8, activityName: 'Detach Policy', outcome: 'success' },
  'grant.created': { of: ACCOUNT_CHANGE, activityId: 7, activityName: 'Attach Policy', outcome: 'success' },
  'grant.revoked': { of: ACCOUNT_CHANGE, activityId: 8, activityName: 'Detach Policy', outcome: 'success' },
  'passkey.registered': { of: ACCOUNT_CHANGE, activityId: 10, activityName: 'MFA Factor Enable', outcome: 'success' },
  'passkey.revoked': { of: ACCOUNT_CHANGE, activityId: 11, activityName: 'MFA Factor Disable', outcome: 'success' },
  'audit.pruned': { of: APPLICATION_LIFECYCLE, activityId: 99, activityName: 'Other', outcome: 'success' },
}

const STATUS = { success: [1, 'Success'], failure: [2, 'Failure'], unknown: [0, 'Unknown'] } as const

/** An audit event as exported: its body (parsed) and its chain hash. */
export interface ExportedEvent {
  readonly seq: number
  readonly hash: string
  readonly event: Readonly<Record<string, unknown>>
}

/**
 * The OCSF event of an audit event. A type this version does not know (a newer writer's) becomes
 * API Activity, Other.
 *
 * @example
 * const line = JSON.stringify(toOcsf({ seq, hash, event }, 'countersign.example.com/audit'))
 */
export function toOcsf(exported: ExportedEvent, origin: string): Record<string, unknown> {
  const { event } = exported
  const type = String(event['type'])
  const mapping = OCSF_MAPPING[type as AuditEventType] ?? { of: API_ACTIVITY, activityId: 99, activityName: 'Other', outcome: 'unknown' as const }
  const { of } = mapping
  const [statusId, status] = STATUS[mapping.outcome]
  const actionId = typeof event['action_id'] === 'string' ? event['action_id'] : null
  const data = (event['data'] ?? {}) as Record<string, unknown>
  const base: Record<string, unknown> = {
    category_uid: of.categoryUid,
    category_name: of.categoryName,
    class_uid: of.classUid,
    class_name: of.className,
    activity_id: mapping.activityId,
    activity_name: mapping.activityName,
    type_uid: of.classUid * 100 + mapping.activityId,
    type_name: `${of.className}: ${mapping.activityName}`,
    severity_id: mapping.outcome === 'failure' ? 2 : 1,
    severity: mapping.outcome === 'failure' ? 'Low' : 'Informational',
    status_id: statusId,
    status,
    time: Date.parse(String(event['at'])),
    message: `${type}${actionId ? ` ${actionId}` : ''} by ${String(event['actor'])} via ${String(event['channel'])}`,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Countersign', vendor_name: 'Countersign' },
      uid: `${origin}/${exported.seq}`,
      sequence: exported.seq,
      log_name: origin,
      original_time: String(event['at']),
      ...(actionId && { correlation_uid: actionId }),
    },
    actor: { user: userOf(String(event['actor'])) },
    unmapped: { countersign: { type, seq: exported.seq, hash: exported.hash, channel: event['channel'], digest: event['digest'], policy_version: event['policy_version'], data } },
  }
  if (of === ACCOUNT_CHANGE) {
    const subject = typeof data['subject'] === 'string' ? `${data['type'] === 'agent' ? 'agent' : 'human'}:${data['subject']}` : undefined
    return { ...base, user: subject ? userOf(subject) : { uid: String(data['token_sha256'] ?? 'unknown'), type_id: 0, type: 'Unknown' } }
  }
  if (of === APPLICATION_LIFECYCLE) return { ...base, app: { name: 'Countersign', vendor_name: 'Countersign', version: String(event['policy_version'] ?? '') } }
  return {
    ...base,
    api: { operation: type, service: { name: 'countersign' } },
    src_endpoint: { svc_name: String(event['channel']) },
    ...(actionId && { resources: [{ uid: actionId, type: 'countersign.action', ...(typeof event['digest'] === 'string' && { data: { digest: event['digest'] } }) }] }),
  }
}

/**
 * The CloudEvents 1.0 envelope (JSON format) of an audit event: `type` is
 * `com.countersign.audit.<event type>`, `id` is `<origin>/<seq>` (what a receiver dedupes on),
 * `data` the event body with its seq and chain hash.
 */
export function toCloudEvent(exported: ExportedEvent, origin: string): Record<string, unknown> {
  const { event } = exported
  return {
    specversion: '1.0',
    id: `${origin}/${exported.seq}`,
    source: origin,
    type: `com.countersign.audit.${String(event['type'])}`,
    time: String(event['at']),
    ...(typeof event['action_id'] === 'string' && { subject: event['action_id'] }),
    datacontenttype: 'application/json',
    data: { seq: exported.seq, hash: exported.hash, event },
  }
}

function userOf(actor: string): Record<string, unknown> {
  const [kind, ...rest] = actor.split(':')
  const id = rest.join(':')
  if (kind === 'human') return { uid: id, name: id, email_addr: id, type_id: 1, type: 'User' }
  if (kind === 'agent') return { uid: id, name: id, type_id: 99, type: 'Agent' }
  return { uid: actor, name: actor, type_id: 3, type: 'System' }
}
