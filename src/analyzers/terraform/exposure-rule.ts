import { elements, type JsonObject, markedAt, own } from './json-values.js'
import { isPublicRange } from './public-ranges.js'

/** How Terraform shows a sensitive value; used wherever a finding would quote one. */
export const MASK = '(sensitive value)'

/** A path into a resource's attributes: attribute names and list indexes. */
export type Path = readonly (string | number)[]

/** One side of a change, as a rule sees it. */
export interface RuleInput {
  /** The object's attributes (`after`, or `before` to compare). */
  readonly value: JsonObject
  /** The `after_unknown` tree for `after`; `false` for `before`, which is always known. */
  readonly unknown: unknown
  /** The matching `*_sensitive` tree. */
  readonly sensitive: unknown
}

/**
 * What a rule found: ingress from these public sources (quoted as written, or masked),
 * possible ingress from sources known only after apply, or public access for a reason.
 */
export type Finding =
  | { readonly kind: 'ingress'; readonly sources: readonly string[] }
  | { readonly kind: 'maybe'; readonly attributes: readonly string[] }
  | { readonly kind: 'public'; readonly why: string }

/** Finds whether one resource type's object lets the internet in; `null` when it does not. */
export type Rule = (input: RuleInput) => Finding | null

/** The value at `path`, `undefined` where the path leads nowhere. */
export function valueAt(value: unknown, path: Path): unknown {
  let node = value
  for (const step of path) node = typeof step === 'number' ? elements(node)[step] : own(node, step)
  return node
}

/** `text` (a value read at `path`), or the mask when that value is sensitive. */
export function show(input: RuleInput, path: Path, text: string): string {
  return markedAt(input.sensitive, path) ? MASK : text
}

/** The public sources in the string or list of strings at `path`, and whether that attribute is known only after apply. */
export interface SourceScan {
  readonly sources: readonly string[]
  readonly unknown: boolean
  /** The attribute scanned, as a path: `ingress[0].cidr_blocks`. */
  readonly attribute: string
}

/** A path as an approver reads it: `ingress[0].cidr_blocks`. */
export function attributeName(path: Path): string {
  return path.map((step, index) => (typeof step === 'number' ? `[${step}]` : index === 0 ? step : `.${step}`)).join('')
}

/** Possible ingress through these attributes, which are known only after apply. */
export function maybe(...paths: readonly Path[]): Finding {
  return { kind: 'maybe', attributes: paths.map(attributeName) }
}

/** Scans the source attribute at `path` (a CIDR string or a list of them). */
export function scanSources(input: RuleInput, path: Path): SourceScan {
  const value = valueAt(input.value, path)
  const sources: string[] = []
  const list = typeof value === 'string' ? [value] : elements(value)
  for (const [index, item] of list.entries()) {
    const itemPath = typeof value === 'string' ? path : [...path, index]
    if (typeof item === 'string' && isPublicRange(item)) sources.push(show(input, itemPath, item))
  }
  return { sources, unknown: markedAt(input.unknown, path), attribute: attributeName(path) }
}

/** Ingress from the public sources found, else possible ingress if a source is unknown, else nothing. */
export function ingressFinding(scans: readonly SourceScan[]): Finding | null {
  const sources = [...new Set(scans.flatMap((scan) => scan.sources))]
  if (sources.length > 0) return { kind: 'ingress', sources }
  const unknown = scans.filter((scan) => scan.unknown).map((scan) => scan.attribute)
  return unknown.length > 0 ? { kind: 'maybe', attributes: [...new Set(unknown)] } : null
}

/** Case-insensitive comparison for enum-like attributes (`Inbound`, `INGRESS`, `Allow`). */
export function is(value: unknown, expected: string): boolean {
  return typeof value === 'string' && value.toLowerCase() === expected.toLowerCase()
}
