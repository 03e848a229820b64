import type { Problem } from './types'

/** An API error, carrying the problem document the gateway sent (RFC 9457). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string

  constructor(problem: Problem) {
    super(problem.detail || problem.title)
    this.status = problem.status
    this.code = problem.code
  }
}

let csrfToken: string | null = null

/** Set once the session is known: every state-changing request carries it. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

/** Calls the gateway's API with the session cookie (and the CSRF token when it changes something). */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const method = init.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  let body: string | undefined
  if (init.body !== undefined) {
    body = JSON.stringify(init.body)
    headers['content-type'] = 'application/json'
  }
  const response = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: init.signal })
  if (response.status === 204) return undefined as T
  const text = await response.text()
  const data: unknown = text ? JSON.parse(text) : undefined
  if (!response.ok) {
    const problem = (data ?? {}) as Partial<Problem>
    throw new ApiError({ status: response.status, code: problem.code ?? 'INTERNAL', title: problem.title ?? response.statusText, detail: problem.detail ?? response.statusText })
  }
  return data as T
}
