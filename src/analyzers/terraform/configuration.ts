import { elements, isObject, own } from './json-values.js'

/**
 * The attribute names a resource's configuration sets (its `expressions`), found by module
 * address, mode, type and name; `null` when the plan's `configuration` does not describe it.
 *
 * Used to tell an attribute the configuration sets to a value known only after apply (a policy
 * built from another new resource's ARN) from one the provider computes because nobody set it
 * (the default key policy of every new KMS key), which the plan's `after_unknown` shows alike.
 */
export type ConfiguredAttributes = (moduleAddress: string, mode: string, type: string, name: string) => ReadonlySet<string> | null

/** Indexes the plan's `configuration` (its `root_module` and, recursively, `module_calls`). */
export function configuredAttributes(configuration: unknown): ConfiguredAttributes {
  const index = new Map<string, ReadonlySet<string>>()
  const visit = (module: unknown, path: string, depth: number): void => {
    if (depth > 100) return // a module tree cannot nest deeper than Terraform allows; stop a crafted one
    for (const resource of elements(own(module, 'resources'))) {
      const address = own(resource, 'address')
      if (typeof address !== 'string') continue
      const expressions = own(resource, 'expressions')
      index.set(`${path}|${address}`, new Set(isObject(expressions) ? Object.keys(expressions) : []))
    }
    const calls = own(module, 'module_calls')
    if (!isObject(calls)) return
    for (const [name, call] of Object.entries(calls)) visit(own(call, 'module'), path === '' ? name : `${path}.${name}`, depth + 1)
  }
  visit(own(configuration, 'root_module'), '', 0)
  return function configured(moduleAddress, mode, type, name) {
    const address = `${mode === 'data' ? 'data.' : ''}${type}.${name}`
    return index.get(`${modulePath(moduleAddress)}|${address}`) ?? null
  }
}

/** `module.app["eu"].module.db[0]` → `app.db`: the module calls, instance keys dropped. */
function modulePath(moduleAddress: string): string {
  const names: string[] = []
  for (const match of moduleAddress.matchAll(/module\.([A-Za-z0-9_-]+)(?:\[(?:\d+|"(?:[^"\\]|\\.)*")\])?/g)) names.push(match[1] ?? '')
  return names.join('.')
}
