import { parseAllDocuments, type YAMLError } from 'yaml'
import { isRecord, member, text } from './json-values.js'

/** kubectl's YAML reader expands aliases; more than this many is an expansion bomb, not a manifest. */
const MAX_ALIASES = 100
/** `List` inside `List`… deeper than this is refused. */
const MAX_LIST_DEPTH = 4

/** One Kubernetes object of a manifest or request body. */
export interface ManifestObject {
  readonly kind: string
  readonly apiVersion: string
  /** `metadata.name`, `""` when missing (e.g. only `generateName`). */
  readonly name: string
  /** `metadata.namespace` as written, `""` when the object does not say. */
  readonly namespace: string
  readonly body: Readonly<Record<string, unknown>>
}

/** The objects, or why kubectl would not accept the text (no secret values in the reason). */
export type ManifestResult = { readonly objects: readonly ManifestObject[] } | { readonly error: string }

/**
 * Reads every document of a YAML (or JSON) manifest as kubectl would: empty documents skipped,
 * lists (`kind: List`, and any object with `items`, as kubectl's decoder does) expanded, anchors, aliases and `<<` merge keys
 * resolved (kubectl's reader resolves them, so the analysis must see the merged result). Duplicate
 * keys, alias bombs, documents that are not objects and objects without `kind` or `apiVersion`
 * are errors.
 *
 * @example parseManifest('kind: Secret\napiVersion: v1\nmetadata: {name: db}') // { objects: [{ kind: 'Secret', name: 'db', … }] }
 */
export function parseManifest(source: string): ManifestResult {
  const documents = parseAllDocuments(source, { merge: true, uniqueKeys: true, prettyErrors: false })
  const values: unknown[] = []
  let index = 0
  for (const document of documents) {
    index++
    const error = document.errors[0]
    if (error !== undefined) return { error: `invalid YAML in document ${index}: ${describe(error)}` }
    if (document.contents === null) continue
    try {
      values.push(document.toJS({ maxAliasCount: MAX_ALIASES }))
    } catch {
      return { error: `document ${index} expands too many YAML aliases` }
    }
  }
  return objectsOf(values)
}

function objectsOf(values: readonly unknown[]): ManifestResult {
  const objects: ManifestObject[] = []
  for (const [i, value] of values.entries()) {
    if (value === null || value === undefined) continue
    const error = collect(value, objects, 0, `document ${i + 1}`)
    if (error !== null) return { error }
  }
  return { objects }
}

function collect(value: unknown, into: ManifestObject[], depth: number, where: string): string | null {
  if (!isRecord(value)) return `${where} is not an object`
  const kind = text(value, 'kind')
  const apiVersion = text(value, 'apiVersion')
  if (kind === '') return `${where} has no kind`
  if (apiVersion === '') return `${where} has no apiVersion`
  // kubectl's decoder takes any object with `items` for a list, whatever its kind, and applies
  // the items; an object not named like a list is kept as well, to fail closed.
  if (Array.isArray(value.items)) {
    if (depth >= MAX_LIST_DEPTH) return `${where} nests lists too deeply`
    for (const [i, item] of value.items.entries()) {
      const error = collect(item, into, depth + 1, `item ${i + 1} of ${where}`)
      if (error !== null) return error
    }
    if (kind.endsWith('List')) return null
  }
  const metadata = member(value, 'metadata')
  into.push({ kind, apiVersion, name: text(metadata, 'name'), namespace: text(metadata, 'namespace'), body: value })
  return null
}

/** The error's code and position only: the parser's message quotes the source, which may hold a secret. */
function describe(error: YAMLError): string {
  const position = error.linePos?.[0]
  return position ? `${error.code} at line ${position.line}, column ${position.col}` : error.code
}

/** One YAML or JSON value (a patch, a request body, `--overrides`), or why it is not one. */
export function parseYamlValue(source: string): { readonly value: unknown } | { readonly error: string } {
  const documents = parseAllDocuments(source, { merge: true, uniqueKeys: true, prettyErrors: false })
  if (documents.length !== 1) return { error: documents.length === 0 ? 'empty document' : 'several documents where one was expected' }
  const [document] = documents
  if (document === undefined) return { error: 'empty document' }
  const error = document.errors[0]
  if (error !== undefined) return { error: `invalid YAML: ${describe(error)}` }
  try {
    return { value: document.toJS({ maxAliasCount: MAX_ALIASES }) }
  } catch {
    return { error: 'the document expands too many YAML aliases' }
  }
}
