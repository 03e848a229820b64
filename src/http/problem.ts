import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { CountersignError, type ErrorCode, type ErrorDetail } from '../errors/index.js'

/** RFC 9457 problem details, as every API error is sent. */
export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail: string
  readonly code: ErrorCode
  readonly errors?: readonly ErrorDetail[]
}

const TITLES: Readonly<Record<ErrorCode, string>> = {
  INVALID: 'Invalid request',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  ALREADY_DECIDED: 'Already decided',
  INTERNAL: 'Internal error',
}

/** The problem document for an error; internal errors say nothing of their cause. */
export function problemOf(error: unknown): Problem {
  if (error instanceof CountersignError) {
    const internal = error.code === 'INTERNAL'
    return {
      type: `urn:countersign:problem:${error.code.toLowerCase().replace('_', '-')}`,
      title: TITLES[error.code],
      status: error.status,
      detail: internal ? 'the gateway could not complete the request; nothing was changed' : error.message,
      code: error.code,
      ...(!internal && error.details.length > 0 && { errors: error.details }),
    }
  }
  if (error instanceof HTTPException) {
    const code: ErrorCode = error.status === 401 ? 'UNAUTHENTICATED' : error.status === 403 ? 'FORBIDDEN' : error.status === 404 ? 'NOT_FOUND' : error.status >= 500 ? 'INTERNAL' : 'INVALID'
    // The validator's bare "Unsupported Media Type" does not say what to send instead.
    const detail = error.status === 415 ? 'the body must be JSON: send it with the header content-type: application/json' : error.message || TITLES[code]
    return { type: `urn:countersign:problem:${code.toLowerCase()}`, title: TITLES[code], status: error.status, detail, code }
  }
  return problemOf(new CountersignError('INTERNAL', 'unexpected error'))
}

/** Sends `problem` as `application/problem+json`. */
export function problemResponse(c: Context, problem: Problem): Response {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' }
  if (problem.status === 401) headers['www-authenticate'] = 'Bearer realm="countersign"'
  return c.body(JSON.stringify(problem), problem.status as 400, headers)
}

/** A problem with a status and message of its own (413, 415…). */
export function statusProblem(status: number, detail: string): Problem {
  return { type: 'urn:countersign:problem:invalid', title: 'Invalid request', status, detail, code: 'INVALID' }
}
