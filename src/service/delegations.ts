import { randomBytes } from 'node:crypto'
import { CountersignError } from '../errors/index.js'
import { canonicalEmail, sameHuman, type Principal } from '../lifecycle/index.js'
import type { DelegationRecord } from '../store/index.js'
import { actorOf, type Gateway } from './gateway.js'

/** The longest delegation: a month, like the longest review timeout. */
export const MAX_DELEGATION_MS = 30 * 86_400_000

/** What a delegation request says. */
export interface DelegationRequest {
  /** The human who will review with the delegator's rights. */
  readonly to: string
  /** When it ends. */
  readonly until: Date
  /** When it starts (default: now). */
  readonly from?: Date | undefined
  /** Whose rights (default: the caller's own; someone else's only for an admin). */
  readonly delegator?: string | undefined
  readonly reason?: string | undefined
}

/**
 * Lends a human's review rights to another human for a period (`POST /v1/delegations`): the
 * delegate may then review where the delegator is an approver, as themselves (every review rule
 * applies to the delegate: a delegate who is a requester of an action is refused, and the
 * delegator's right counts once per action). Refused: an agent; a delegate who is not a human the
 * config knows (never an agent); oneself; a period that is empty, past or longer than 30 days.
 * Audited (`delegation.created`).
 */
export async function createDelegation(gateway: Gateway, principal: Principal, request: DelegationRequest, channel: string): Promise<DelegationRecord> {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'agents cannot delegate review rights: they have none')
  const delegator = canonicalEmail(request.delegator ?? principal.email)
  if (!sameHuman(delegator, principal.email) && !principal.admin) throw new CountersignError('FORBIDDEN', 'you can delegate your own review rights only (admins may delegate for others)')
  const to = canonicalEmail(request.to)
  const known = gateway.directory.human(to)
  if (!known) throw new CountersignError('INVALID', `${to || 'the delegate'} is not a human of this gateway's configuration: review rights go to a known human, never to an agent`)
  if (sameHuman(to, delegator)) throw new CountersignError('INVALID', 'a delegation goes to someone else')
  const now = gateway.now()
  const startsAt = request.from ?? now
  if (Number.isNaN(startsAt.getTime()) || Number.isNaN(request.until.getTime())) throw new CountersignError('INVALID', 'from and until must be dates and times')
  if (request.until.getTime() <= Math.max(startsAt.getTime(), now.getTime())) throw new CountersignError('INVALID', 'until must be in the future and after from')
  if (request.until.getTime() - startsAt.getTime() > MAX_DELEGATION_MS) throw new CountersignError('INVALID', 'a delegation lasts at most 30 days')
  const delegation: DelegationRecord = {
    id: `dlg_${randomBytes(10).toString('hex')}`,
    from: delegator,
    to: known.email,
    startsAt,
    endsAt: request.until,
    reason: (request.reason ?? '').trim().slice(0, 2000),
    createdAt: now,
    revokedAt: null,
  }
  await gateway.store.createDelegation(delegation, {
    type: 'delegation.created',
    action_id: null,
    actor: actorOf(principal),
    channel,
    digest: null,
    policy_version: null,
    data: { id: delegation.id, from: delegation.from, to: delegation.to, starts_at: startsAt.toISOString(), ends_at: request.until.toISOString(), reason: delegation.reason },
  })
  return delegation
}

/** Ends a delegation early: its delegator, its delegate or an admin. Audited (`delegation.revoked`). */
export async function revokeDelegation(gateway: Gateway, principal: Principal, id: string, channel: string): Promise<DelegationRecord> {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'agents cannot revoke delegations')
  const revoked = await gateway.store.revokeDelegation(id, gateway.now(), (delegation) => {
    if (!principal.admin && !sameHuman(principal.email, delegation.from) && !sameHuman(principal.email, delegation.to)) {
      throw new CountersignError('FORBIDDEN', 'only its delegator, its delegate or an admin revokes a delegation')
    }
    return { type: 'delegation.revoked', action_id: null, actor: actorOf(principal), channel, digest: null, policy_version: null, data: { id, from: delegation.from, to: delegation.to } }
  })
  if (!revoked) throw new CountersignError('NOT_FOUND', `no live delegation ${id}`)
  return revoked
}

/** The delegations in force now (humans only). */
export async function listDelegations(gateway: Gateway, principal: Principal): Promise<readonly DelegationRecord[]> {
  if (principal.type !== 'human') throw new CountersignError('FORBIDDEN', 'agents cannot list delegations')
  return gateway.store.activeDelegations(gateway.now())
}
