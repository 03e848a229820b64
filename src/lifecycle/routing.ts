import type { ReviewRequirement } from '../policy/index.js'

/** A reminder due for one requirement: its approvers are asked again. */
export interface Reminder {
  readonly rule: string
  /** The how-manieth reminder this is (1 for the first). */
  readonly count: number
  /** Who is asked, after any escalation. */
  readonly approvers: readonly string[]
}

/** An escalation stage due for one requirement: approvers added to it. */
export interface Escalation {
  readonly rule: string
  /** The stage's position in `escalate`, from 1. */
  readonly stage: number
  /** The approvers this stage adds (those not already listed). */
  readonly added: readonly string[]
  /** Every approver of the requirement after it. */
  readonly approvers: readonly string[]
}

/** What is due at one moment: the requirements as they stand after it, and what to record and send. */
export interface RoutingOutcome {
  readonly requirements: readonly ReviewRequirement[]
  readonly reminders: readonly Reminder[]
  readonly escalations: readonly Escalation[]
  /** When the next step falls due, or `null` when none will before the request expires. */
  readonly next: Date | null
}

/** A pending request as routing sees it. */
export interface RoutingSubject {
  readonly createdAt: Date
  readonly expiresAt: Date | null
  readonly requirements: readonly ReviewRequirement[]
  /** For each requirement (same order), whether it is met already: a met one is neither reminded nor escalated. */
  readonly met: readonly boolean[]
}

/** When a requirement's next reminder or escalation falls due, as milliseconds since submission. */
function nextStepMs(requirement: ReviewRequirement): number | undefined {
  const steps: number[] = []
  if (requirement.remind_after_ms !== undefined && requirement.remind_after_ms > 0) steps.push(requirement.remind_after_ms * ((requirement.reminders ?? 0) + 1))
  const stage = requirement.escalate?.[requirement.escalated ?? 0]
  if (stage) steps.push(stage.after_ms)
  return steps.length > 0 ? Math.min(...steps) : undefined
}

/**
 * When the first reminder or escalation of a pending request falls due, or `null` when it has
 * none before it expires. Stored with the action so that any replica finds it when it is due.
 */
export function nextRouting(subject: Omit<RoutingSubject, 'met'> & { readonly met?: readonly boolean[] }): Date | null {
  let next: number | undefined
  subject.requirements.forEach((requirement, index) => {
    if (subject.met?.[index]) return
    const step = nextStepMs(requirement)
    if (step !== undefined) next = Math.min(next ?? Infinity, subject.createdAt.getTime() + step)
  })
  if (next === undefined) return null
  if (subject.expiresAt && next >= subject.expiresAt.getTime()) return null
  return new Date(next)
}

/**
 * The reminders and escalations due at `now`, purely (ARCHITECTURE.md: the store locks the
 * action, calls this, and saves the result). Escalation stages whose time has come are applied in
 * order, each adding its approvers to the requirement; reminders late by more than one interval
 * (a gateway that was down) are sent once, not once per missed interval. Requirements already met
 * are left alone, and nothing is due at or after expiry.
 *
 * @example
 * const { requirements, reminders, escalations, next } = dueRouting({ createdAt, expiresAt, requirements, met }, now)
 */
export function dueRouting(subject: RoutingSubject, now: Date): RoutingOutcome {
  const elapsed = now.getTime() - subject.createdAt.getTime()
  const reminders: Reminder[] = []
  const escalations: Escalation[] = []
  const expired = subject.expiresAt !== null && now.getTime() >= subject.expiresAt.getTime()
  const requirements = subject.requirements.map((requirement, index) => {
    if (expired || subject.met[index]) return requirement
    let approvers = [...requirement.approvers]
    let escalated = requirement.escalated ?? 0
    const stages = requirement.escalate ?? []
    while (escalated < stages.length && stages[escalated]!.after_ms <= elapsed) {
      const stage = stages[escalated]!
      escalated++
      const added = stage.to.filter((approver) => !approvers.includes(approver))
      approvers = [...approvers, ...added]
      escalations.push({ rule: requirement.rule, stage: escalated, added, approvers })
    }
    let reminded = requirement.reminders ?? 0
    const every = requirement.remind_after_ms
    if (every !== undefined && every > 0 && elapsed >= every * (reminded + 1)) {
      reminded = Math.floor(elapsed / every)
      reminders.push({ rule: requirement.rule, count: reminded, approvers })
    }
    if (escalated === (requirement.escalated ?? 0) && reminded === (requirement.reminders ?? 0)) return requirement
    return Object.freeze({ ...requirement, approvers: Object.freeze(approvers), ...(escalated > 0 && { escalated }), ...(reminded > 0 && { reminders: reminded }) })
  })
  const changed = reminders.length > 0 || escalations.length > 0
  return {
    requirements: changed ? requirements : subject.requirements,
    reminders,
    escalations,
    next: expired ? null : nextRouting({ ...subject, requirements }),
  }
}
