import type { HttpFacts } from './facts.js'
import { internalHostKind } from './internal-host.js'
import type { RecognitionResult } from './recognize.js'
import { isCredentialHeader, isCredentialName } from './sensitive.js'

const SUMMARY_MAX = 200
const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 }

/** What the report needs besides the facts. */
export interface ReportInput {
  readonly facts: HttpFacts
  readonly recognition: RecognitionResult
  /** Header names as sent (any case). */
  readonly headerNames: readonly string[]
  readonly urlHadCredentials: boolean
}

/**
 * One line: method, host (with a port that is not the default), path, and the recognized call:
 * `DELETE api.github.com /repos/acme/api (github repos.delete)`.
 */
export function summarize({ facts }: ReportInput): string {
  if (facts.parse_error !== '') return printable(`${facts.method} (URL not analyzable: ${facts.parse_error})`)
  const port = facts.port === DEFAULT_PORTS[facts.scheme] ? '' : `:${facts.port}`
  const call = facts.service === '' ? '' : ` (${[facts.service, facts.operation].filter((part) => part !== '').join(' ')})`
  const line = `${facts.method} ${facts.host}${port} ${facts.path}`
  const room = SUMMARY_MAX - call.length
  return printable(line.length > room ? `${line.slice(0, room - 1)}…${call}` : `${line}${call}`)
}

/** The risky points, most serious first. Never a header value, a credential or a body value. */
export function highlight({ facts, recognition, headerNames, urlHadCredentials }: ReportInput): string[] {
  const out: string[] = []
  const add = (text: string): void => {
    if (text !== '' && !out.includes(text)) out.push(text)
  }
  if (facts.parse_error !== '') add(`cannot analyze the URL (${facts.parse_error}): counted as changing and administering`)
  add(recognition.highlight)
  if (recognition.override !== '') add(`overrides its method (${recognition.override}): it may do whatever the path allows`)
  if (recognition.rerouted.length > 0) {
    add(`sets ${recognition.rerouted.join(', ')} (value not shown): it may reach another service than ${facts.host}, counted as administering`)
  }
  if (urlHadCredentials) add('URL carries credentials (removed)')
  const credentialHeaders = [...new Set(headerNames.filter(isCredentialHeader).map((name) => name.toLowerCase()))]
  for (const name of credentialHeaders) add(`sends credentials in ${name}`)
  const credentialParams = Object.keys(facts.query).filter(isCredentialName)
  if (credentialParams.length > 0) add(`sends credentials in the query (${credentialParams.join(', ')})`)
  if (facts.scheme === 'http' && (urlHadCredentials || credentialHeaders.length > 0 || credentialParams.length > 0)) add('sends credentials over plain http')
  const internal = facts.host === '' ? '' : internalHostKind(facts.host)
  if (internal !== '') add(`targets ${internal} (${facts.host})`)
  return out.map(printable)
}

/**
 * Escapes control characters and invisible or direction-changing Unicode, so that a crafted
 * path parameter or operation name cannot forge or reorder the line an approver reads.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
