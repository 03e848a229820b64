import { type ConfiguredAttributes, configuredAttributes } from './configuration.js'
import { elements, isObject, own } from './json-values.js'

/**
 * What the apply does to one object, from its `change.actions`. `replace` covers both orders and
 * `["create", "forget"]`; `unknown` is any list of actions Terraform did not document.
 */
export type ChangeKind = 'create' | 'update' | 'delete' | 'replace' | 'no-op' | 'read' | 'forget' | 'unknown'

/** One element of `resource_changes`, checked and named. Values stay as the plan has them. */
export interface PlannedChange {
  readonly address: string
  readonly type: string
  readonly mode: string
  readonly provider: string
  readonly actions: readonly string[]
  readonly kind: ChangeKind
  /** The existing object is destroyed (see `TerraformResourceChangeFacts.destroy`). */
  readonly destroy: boolean
  readonly before: unknown
  readonly after: unknown
  readonly afterUnknown: unknown
  readonly beforeSensitive: unknown
  readonly afterSensitive: unknown
  /** The top-level attributes that forced a replacement, from `replace_paths`. */
  readonly replacedBy: readonly string[]
  /** `action_reason`, `""` when absent. */
  readonly reason: string
  /** The deposed object's key when the change is to a deposed object, `""` otherwise. */
  readonly deposed: string
  /** The attributes the resource's configuration sets; `null` when the plan's configuration does not say. */
  readonly configured: ReadonlySet<string> | null
}

/** A plan as far as the analyzer reads it, or why it cannot. */
export type ReadPlan =
  | {
      readonly ok: true
      readonly changes: readonly PlannedChange[]
      /** Addresses of `action_invocations`. */
      readonly invocations: readonly string[]
      /** `errored: true`: planning failed and the plan is not applyable as shown. */
      readonly errored: boolean
      /** `complete: false`: more changes are left for a later plan (targeting, deferred changes). */
      readonly incomplete: boolean
    }
  | { readonly ok: false; readonly error: string }

/**
 * The formats this analyzer understands: `1.x` (Terraform 1.0 and later, and OpenTofu; a minor
 * version only adds fields), `0.1` (Terraform 0.12 to 0.14) and `0.2` (0.15). The 0.x formats
 * lack fields 1.x added (`before_sensitive`/`after_sensitive` before 0.14, `replace_paths`,
 * `action_reason`, `relevant_attributes`, `resource_drift`); each is read as absent, which makes
 * nothing look safer: a missing sensitivity tree only means nothing is masked. Other majors
 * (`2.x`, `0.3`) are refused, as their meaning is not known.
 */
function supported(version: string): boolean {
  return /^1\.\d+$/.test(version) || version === '0.1' || version === '0.2'
}

/**
 * Checks that `plan` is the JSON of `terraform show -json PLANFILE` in a format this analyzer
 * reads, and names its resource changes. Anything malformed is an error for the whole plan: a
 * change that cannot be read cannot be vouched for.
 */
export function readPlan(plan: unknown): ReadPlan {
  if (!isObject(plan)) return fail('the plan is not a JSON object')
  const version = own(plan, 'format_version')
  if (typeof version !== 'string') return fail('no format_version: not the output of terraform show -json')
  if (!supported(version)) return fail(`unsupported format_version ${JSON.stringify(version).slice(0, 40)} (expected 0.1, 0.2 or 1.x)`)
  let list = own(plan, 'resource_changes')
  if (list === undefined) {
    // Terraform leaves resource_changes out when no resource has a change to show: output-only,
    // refresh-only and empty plans. Those still carry planned_values, which a state never has.
    if (!isObject(own(plan, 'planned_values'))) {
      const isState = own(plan, 'values') !== undefined
      return fail(isState ? 'this is a Terraform state, not a plan (no resource_changes)' : 'no resource_changes and no planned_values: not a plan')
    }
    list = []
  }
  if (!Array.isArray(list)) return fail('resource_changes is not a list')
  const configured = configuredAttributes(own(plan, 'configuration'))
  const changes: PlannedChange[] = []
  for (const [index, item] of list.entries()) {
    const change = readChange(item, configured)
    if (typeof change === 'string') return fail(`resource_changes[${index}]: ${change}`)
    changes.push(change)
  }
  const invocations: string[] = []
  const invoked = own(plan, 'action_invocations')
  if (invoked !== undefined && !Array.isArray(invoked)) return fail('action_invocations is not a list')
  for (const [index, item] of elements(invoked).entries()) {
    const address = own(item, 'address')
    if (typeof address !== 'string' || address === '') return fail(`action_invocations[${index}]: no address`)
    invocations.push(address)
  }
  return { ok: true, changes, invocations, errored: own(plan, 'errored') === true, incomplete: own(plan, 'complete') === false }
}

function fail(error: string): ReadPlan {
  return { ok: false, error }
}

/** One resource change, or what is wrong with it. */
function readChange(item: unknown, configured: ConfiguredAttributes): PlannedChange | string {
  if (!isObject(item)) return 'not an object'
  const address = own(item, 'address')
  const type = own(item, 'type')
  const mode = own(item, 'mode')
  const provider = own(item, 'provider_name') ?? ''
  const change = own(item, 'change')
  if (typeof address !== 'string' || address === '') return 'no address'
  if (typeof type !== 'string' || type === '') return `${address}: no type`
  if (typeof mode !== 'string') return `${address}: no mode`
  if (typeof provider !== 'string') return `${address}: provider_name is not a string`
  if (!isObject(change)) return `${address}: no change`
  const actions = own(change, 'actions')
  if (!Array.isArray(actions) || actions.length === 0 || !actions.every((action) => typeof action === 'string')) {
    return `${address}: change.actions is not a list of actions`
  }
  const kind = mode === 'data' ? 'read' : kindOf(actions)
  const reason = own(item, 'action_reason')
  const deposed = own(item, 'deposed')
  const name = own(item, 'name')
  const moduleAddress = own(item, 'module_address')
  return {
    address,
    type,
    mode,
    provider,
    actions,
    kind,
    destroy: kind === 'delete' || kind === 'unknown' || (kind === 'replace' && actions.includes('delete')),
    before: own(change, 'before') ?? null,
    after: own(change, 'after') ?? null,
    afterUnknown: own(change, 'after_unknown') ?? false,
    beforeSensitive: own(change, 'before_sensitive') ?? false,
    afterSensitive: own(change, 'after_sensitive') ?? false,
    replacedBy: replacedBy(own(change, 'replace_paths')),
    reason: typeof reason === 'string' ? reason : '',
    deposed: typeof deposed === 'string' ? deposed : '',
    configured: typeof name === 'string' ? configured(typeof moduleAddress === 'string' ? moduleAddress : '', mode, type, name) : null,
  }
}

const KINDS: ReadonlyMap<string, ChangeKind> = new Map([
  ['create', 'create'],
  ['update', 'update'],
  ['delete', 'delete'],
  ['delete,create', 'replace'],
  ['create,delete', 'replace'],
  // A replacement whose old object is only dropped from the state (lifecycle `destroy = false`).
  ['create,forget', 'replace'],
  ['no-op', 'no-op'],
  ['read', 'read'],
  ['forget', 'forget'],
])

function kindOf(actions: readonly string[]): ChangeKind {
  return KINDS.get(actions.join(',')) ?? 'unknown'
}

/** The distinct first steps of `replace_paths` that are attribute names. */
function replacedBy(paths: unknown): string[] {
  const names = elements(paths).map((path) => elements(path)[0]).filter((step): step is string => typeof step === 'string')
  return [...new Set(names)]
}
