import { createHash } from 'node:crypto'

/**
 * The tool names every common client accepts: the MCP spec allows up to 128 characters and dots,
 * but model APIs (Anthropic's, OpenAI's) take `^[a-zA-Z0-9_-]{1,64}$`, and clients such as
 * Claude Code prefix the server's name too. A name outside this is shortened, never refused.
 */
export const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Between the target's name and the upstream tool's: `github__create_issue`. */
export const SEPARATOR = '__'

/** An upstream tool as the gateway serves it: under which name, from which target. */
export interface ToolRef {
  readonly target: string
  readonly tool: string
}

/**
 * The name of each upstream tool as agents see it, in the order given: `TARGET__TOOL` when that
 * is a valid, unambiguous name; otherwise its valid characters cut to fit, followed by `_` and 8
 * hex digits of the SHA-256 of target and tool, so that the same tool always gets the same name.
 *
 * @example
 * namespacedNames([{ target: 'github', tool: 'create_issue' }, { target: 'docs.internal', tool: 'search' }])
 * // ['github__create_issue', 'docs_internal__search_…'] (8 hex digits after the last _)
 */
export function namespacedNames(refs: readonly ToolRef[]): string[] {
  const plain = refs.map((ref) => `${ref.target}${SEPARATOR}${ref.tool}`)
  const seen = new Map<string, number>()
  for (const name of plain) seen.set(name, (seen.get(name) ?? 0) + 1)
  // `a__b` + `c` and `a` + `b__c` read the same: both get the hashed form.
  return refs.map((ref, index) => (TOOL_NAME.test(plain[index]!) && seen.get(plain[index]!) === 1 ? plain[index]! : hashedName(ref)))
}

function hashedName(ref: ToolRef): string {
  const suffix = `_${createHash('sha256').update(`${ref.target}\0${ref.tool}`, 'utf8').digest('hex').slice(0, 8)}`
  const readable = `${ref.target}${SEPARATOR}${ref.tool}`.replace(/[^A-Za-z0-9_-]/g, '_')
  return readable.slice(0, 64 - suffix.length) + suffix
}
