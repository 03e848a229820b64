import type { RequestBody } from './request-body.js'
import type { EffectiveMethod } from './route-pattern.js'

/** What a recognizer reads of a request. Header values are absent on purpose, except `X-Amz-Target`. */
export interface RequestView {
  /** The method as sent, or `*` when a method override makes the effective method unknown. */
  readonly method: EffectiveMethod
  readonly host: string
  /**
   * The path in the forms a server might route on, most literal first: the normalized path, and
   * the path with every escape decoded (`%2F` too), `;parameters` dropped and dot segments
   * resolved again. Both without empty segments (`//`, a trailing `/`).
   */
  readonly paths: readonly string[]
  /** The query, decoded, nothing redacted. */
  readonly params: URLSearchParams
  /** Header names, lower-case. */
  readonly headerNames: ReadonlySet<string>
  /** Values of `X-Amz-Target` headers (however their names were cased). */
  readonly amzTargets: readonly string[]
  readonly body: RequestBody
}

/** A recognized API call. */
export interface Recognition {
  readonly service: string
  readonly operation: string
  readonly admin: boolean
  /** The operation changes something whatever the method says (`GET …?Action=CreateUser`). */
  readonly changes: boolean
  /** The highlight for an administering call (`AWS IAM CreateAccessKey`); `""` for others. */
  readonly highlight: string
}

/** No recognized API. */
export const UNKNOWN: Recognition = { service: '', operation: '', admin: false, changes: false, highlight: '' }

/** A recognizer: `null` when the request is not for its API. */
export type Recognizer = (request: RequestView) => Recognition | null
