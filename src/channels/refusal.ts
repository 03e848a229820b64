import { CountersignError, type ErrorCode } from '../errors/index.js'

const LEADS: Readonly<Record<ErrorCode, string>> = {
  INVALID: 'Your review was not recorded',
  UNAUTHENTICATED: 'Your review was not recorded',
  FORBIDDEN: 'Your review was not recorded',
  NOT_FOUND: 'Your review was not recorded',
  CONFLICT: 'Your review was not recorded',
  ALREADY_DECIDED: 'Too late: your review was not recorded',
  INTERNAL: 'Countersign could not record your review',
}

/**
 * What a chat user is told when the service refuses their review: the service's own message
 * (the same words the API returns), led by what happened to their click. Unexpected errors say
 * nothing of their cause; the gateway's log has it.
 *
 * @example
 * refusalText(new CountersignError('FORBIDDEN', 'you cannot review this action: you are the owner of the agent that submitted it'))
 * // 'Your review was not recorded: you cannot review this action: you are the owner of the agent that submitted it'
 */
export function refusalText(error: unknown): string {
  if (error instanceof CountersignError && error.code !== 'INTERNAL') return `${LEADS[error.code]}: ${error.message}`
  return `${LEADS.INTERNAL} (an internal error); nothing changed. Try again, or review it in the console.`
}
