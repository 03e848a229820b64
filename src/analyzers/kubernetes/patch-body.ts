import { isRecord, text } from './json-values.js'
import { parseYamlValue } from './manifest.js'

/** A patch, read into the object shape it writes. */
export interface ReadPatch {
  /** Merge and strategic-merge patches as they are; a JSON patch's `add`/`replace` values placed at their paths. */
  readonly body: Readonly<Record<string, unknown>>
  /** Some values come from elsewhere in the object (`copy`, `move`): what they write is not visible. */
  readonly opaque: boolean
  /** A JSON patch removes a security setting (`securityContext`, `runAsNonRoot`, seccomp, AppArmor). */
  readonly removesSecurity: boolean
}

const SECURITY_PATH = /securityContext|runAsNonRoot|seccomp|apparmor/i

/**
 * Reads a patch given as text (`kubectl patch -p`, YAML or JSON) or as a parsed value (an API
 * request body): a merge/strategic/apply patch object, or a JSON patch (RFC 6902) list of
 * operations, which is turned into the object its writes would produce so the same checks apply.
 *
 * @example readPatch('[{"op":"add","path":"/spec/hostNetwork","value":true}]') // { body: { spec: { hostNetwork: true } }, … }
 */
export function readPatch(patch: unknown): ReadPatch | { readonly error: string } {
  let value = patch
  if (typeof patch === 'string') {
    const parsed = parseYamlValue(patch)
    if ('error' in parsed) return { error: `the patch is not valid YAML or JSON (${parsed.error})` }
    value = parsed.value
  }
  if (isRecord(value)) return { body: value, opaque: false, removesSecurity: false }
  if (!Array.isArray(value)) return { error: 'the patch is neither an object nor a JSON patch list' }
  // Null-prototype objects: a pointer segment `__proto__` is then an ordinary key.
  const body: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  let opaque = false
  let removesSecurity = false
  for (const operation of value) {
    const op = text(operation, 'op')
    const path = text(operation, 'path')
    if (op === 'copy' || op === 'move') opaque = true
    else if (op === 'remove') removesSecurity ||= SECURITY_PATH.test(path)
    else if (op === 'add' || op === 'replace') place(body, path, (operation as Record<string, unknown>).value, op === 'add')
    else if (op !== 'test') return { error: `unknown JSON patch operation ${JSON.stringify(op).slice(0, 30)}` }
  }
  return { body, opaque, removesSecurity }
}

/**
 * Sets `value` at a JSON pointer, creating objects on the way (list indexes become keys). A later
 * write replaces an earlier one, as it would in the patched object, except that an `add` at a
 * list index inserts: both elements are kept.
 */
function place(root: Record<string, unknown>, pointer: string, value: unknown, inserts: boolean): void {
  const keys = pointer.split('/').slice(1).map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (keys.length === 0) {
    // A whole-document replacement: its value is the object.
    if (isRecord(value)) Object.assign(root, value)
    return
  }
  let node = root
  for (const key of keys.slice(0, -1)) {
    const next = node[key]
    if (isRecord(next)) node = next
    else {
      const created: Record<string, unknown> = Object.create(null) as Record<string, unknown>
      node[key] = created
      node = created
    }
  }
  const last = keys.at(-1) as string
  let key = last
  if (inserts && /^(\d+|-)$/.test(last)) for (let n = 1; key in node; n++) key = `${last}+${n}`
  node[key] = value
}
