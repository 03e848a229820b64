import type { Logger } from 'pino'
import { resolveSecret, type OnCallConfig } from '../config/index.js'
import { canonicalEmail } from '../lifecycle/index.js'
import type { ReviewRequirement } from '../policy/index.js'

/** How long one vendor call may take: a submission waits for it. */
const TIMEOUT_MS = 5_000

/** Who is on call for one `oncall:VENDOR:SCHEDULE` approver, or why that is unknown. */
export interface OnCallAnswer {
  readonly emails: readonly string[]
  readonly error?: string | undefined
}

/**
 * Resolves `oncall:pagerduty:SCHEDULE` and `oncall:opsgenie:SCHEDULE` approvers to the people on
 * call now, through the vendors' REST APIs: PagerDuty `GET /oncalls?schedule_ids[]=…&include[]=users`
 * (`Authorization: Token token=…`), Opsgenie `GET /v2/schedules/{id}/on-calls?flat=true`
 * (`Authorization: GenieKey …`). Answers are remembered per schedule for `oncall.cache`. A vendor
 * that fails or is not configured gives nobody: an unknown on-call never widens who may approve.
 */
export class OnCallResolver {
  readonly #config: OnCallConfig | undefined
  readonly #logger: Logger | undefined
  readonly #clock: () => Date
  readonly #cache = new Map<string, { readonly at: number; readonly answer: OnCallAnswer }>()

  constructor(config: OnCallConfig | undefined, options: { logger?: Logger | undefined; clock?: () => Date } = {}) {
    this.#config = config
    this.#logger = options.logger
    this.#clock = options.clock ?? (() => new Date())
  }

  /** Who is on call for `approver` (`oncall:VENDOR:SCHEDULE`) now. */
  async resolve(approver: string): Promise<OnCallAnswer> {
    const [, vendor, schedule] = /^oncall:(pagerduty|opsgenie):(.+)$/.exec(approver) ?? []
    if (!vendor || !schedule) return { emails: [], error: `not an on-call approver: ${approver}` }
    const now = this.#clock().getTime()
    const cached = this.#cache.get(approver)
    if (cached && !cached.answer.error && now - cached.at < (this.#config?.cache_ms ?? 0)) return cached.answer
    let answer: OnCallAnswer
    try {
      const emails = vendor === 'pagerduty' ? await this.#pagerDuty(schedule) : await this.#opsgenie(schedule)
      answer = { emails: [...new Set(emails.map(canonicalEmail).filter((email) => email.includes('@')))].sort() }
    } catch (error) {
      answer = { emails: [], error: (error as Error).message }
      this.#logger?.warn({ approver, err: answer.error }, 'cannot tell who is on call: the approver resolves to nobody')
    }
    this.#cache.set(approver, { at: now, answer })
    return answer
  }

  /**
   * The requirements with each `oncall:…` approver followed by `user:EMAIL` of who is on call now,
   * and what was found kept in `oncall` (`{approver: [emails]}`) for the request's record.
   */
  async resolveRequirements(requirements: readonly ReviewRequirement[]): Promise<readonly ReviewRequirement[]> {
    if (!requirements.some((requirement) => requirement.approvers.some((approver) => approver.startsWith('oncall:')))) return requirements
    return Promise.all(
      requirements.map(async (requirement) => {
        const onCall = requirement.approvers.filter((approver) => approver.startsWith('oncall:'))
        if (onCall.length === 0) return requirement
        const answers = await Promise.all(onCall.map(async (approver) => [approver, await this.resolve(approver)] as const))
        const users = answers.flatMap(([, answer]) => answer.emails.map((email) => `user:${email}`)).filter((user) => !requirement.approvers.includes(user))
        return Object.freeze({
          ...requirement,
          approvers: Object.freeze([...requirement.approvers, ...new Set(users)]),
          oncall: Object.fromEntries(answers.map(([approver, answer]) => [approver, answer.error ? { emails: [], error: answer.error } : { emails: answer.emails }])),
        })
      }),
    )
  }

  async #pagerDuty(schedule: string): Promise<string[]> {
    const vendor = this.#config?.pagerduty
    if (!vendor) throw new Error('oncall.pagerduty is not configured')
    const url = new URL(`${vendor.api_url}/oncalls`)
    url.searchParams.append('schedule_ids[]', schedule)
    url.searchParams.append('include[]', 'users')
    url.searchParams.set('earliest', 'true')
    const body = (await this.#get(url, { authorization: `Token token=${resolveSecret(vendor.api_key)}`, accept: 'application/vnd.pagerduty+json;version=2' }, 'PagerDuty')) as { oncalls?: { user?: { email?: unknown } }[] }
    if (!Array.isArray(body.oncalls)) throw new Error('PagerDuty answered without oncalls')
    return body.oncalls.flatMap((oncall) => (typeof oncall.user?.email === 'string' ? [oncall.user.email] : []))
  }

  async #opsgenie(schedule: string): Promise<string[]> {
    const vendor = this.#config?.opsgenie
    if (!vendor) throw new Error('oncall.opsgenie is not configured')
    const url = new URL(`${vendor.api_url}/v2/schedules/${encodeURIComponent(schedule)}/on-calls`)
    url.searchParams.set('flat', 'true')
    // A schedule named in the policy by id (a UUID) or by name.
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(schedule)) url.searchParams.set('scheduleIdentifierType', 'name')
    const body = (await this.#get(url, { authorization: `GenieKey ${resolveSecret(vendor.api_key)}` }, 'Opsgenie')) as { data?: { onCallRecipients?: unknown } }
    const recipients = body.data?.onCallRecipients
    if (!Array.isArray(recipients)) throw new Error('Opsgenie answered without data.onCallRecipients')
    return recipients.filter((recipient): recipient is string => typeof recipient === 'string')
  }

  async #get(url: URL, headers: Record<string, string>, vendor: string): Promise<unknown> {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) })
    if (!response.ok) throw new Error(`${vendor} answered HTTP ${response.status}`)
    return response.json()
  }
}
