/** The error codes Countersign uses everywhere; each maps to one HTTP status and one CLI exit code. */
export const ERROR_CODES = [
  'INVALID',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'CONFLICT',
  'ALREADY_DECIDED',
  'INTERNAL',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ALREADY_DECIDED: 409,
  INTERNAL: 500,
}

const EXIT_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID: 2,
  UNAUTHENTICATED: 3,
  FORBIDDEN: 3,
  NOT_FOUND: 4,
  CONFLICT: 5,
  ALREADY_DECIDED: 5,
  INTERNAL: 1,
}

/** One place where something went wrong, as a policy author or API caller can act on it. */
export interface ErrorLocation {
  readonly file?: string
  readonly line?: number
  readonly column?: number
  /** A JSON pointer-like path inside the document, e.g. `rules[2].when`. */
  readonly path?: string
}

/** A detail of an error: what is wrong where. */
export interface ErrorDetail extends ErrorLocation {
  readonly message: string
}

/**
 * The one error class of Countersign: a string `code` and a message written for the person
 * who has to fix it, with optional located details (e.g. every problem in a policy file).
 *
 * @example
 * throw new CountersignError('NOT_FOUND', `no action ${id}`)
 */
export class CountersignError extends Error {
  readonly code: ErrorCode
  readonly details: readonly ErrorDetail[]

  constructor(code: ErrorCode, message: string, options: { details?: readonly ErrorDetail[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CountersignError'
    this.code = code
    this.details = options.details ?? []
  }

  /** The HTTP status for this error's code. */
  get status(): number {
    return HTTP_STATUS[this.code]
  }

  /** The CLI exit code for this error's code. */
  get exitCode(): number {
    return EXIT_CODE[this.code]
  }
}

/** Formats a located detail as `file:line:column: message` (parts omitted when unknown). */
export function formatDetail(detail: ErrorDetail): string {
  const where = [detail.file, detail.line, detail.column].filter((part) => part !== undefined).join(':')
  const path = detail.path ? ` (${detail.path})` : ''
  return where ? `${where}: ${detail.message}${path}` : `${detail.message}${path}`
}
