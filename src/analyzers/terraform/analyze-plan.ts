import type { Analysis } from '../analyzer.js'
import { changedAttributes } from './changed-attributes.js'
import { isDataStoreType } from './data-store-types.js'
import type { TerraformFacts } from './facts.js'
import { IAM_POLICY_ATTRIBUTES, isIamType } from './iam-types.js'
import { isObject, markedAt, own } from './json-values.js'
import { type PlannedChange, readPlan } from './plan.js'
import { exposureOf } from './public-exposure.js'
import { highlight, type ReviewedChange, summarize } from './summary.js'

/** Longest `parse_error` kept: it quotes addresses, which a plan can make as long as it likes. */
const ERROR_MAX = 300

/**
 * The facts, summary and highlights of a JSON plan (`terraform show -json PLANFILE`). Never
 * throws: what cannot be read, or a bug while reading it, sets `parse_error`, which empties the
 * lists and sets `destroys_any`, so that no rule mistakes an unread plan for a harmless one.
 *
 * @example
 * analyzePlan(JSON.parse(planJson)).facts.destroys_any
 */
export function analyzePlan(plan: unknown): Analysis<TerraformFacts> {
  try {
    const read = readPlan(plan)
    if (!read.ok) return unreadable(read.error)
    const reviewed: ReviewedChange[] = read.changes.map((change) => {
      const changed = changedAttributes(change)
      return {
        change,
        changedAttributes: changed,
        dataStore: change.destroy && change.mode !== 'data' && isDataStoreType(change.type),
        iam: isIamChange(change, changed),
        exposure: exposureOf(change),
      }
    })
    const changes = read.changes
    const count = (kind: PlannedChange['kind']): number => changes.filter((change) => change.kind === kind).length
    const addresses = (keep: (r: ReviewedChange) => boolean): string[] => [...new Set(reviewed.filter(keep).map((r) => r.change.address))]
    const facts: TerraformFacts = {
      resource_changes: reviewed.map((r) => ({
        address: r.change.address,
        type: r.change.type,
        actions: r.change.actions,
        mode: r.change.mode,
        provider: r.change.provider,
        changed_attributes: r.changedAttributes,
        replace: r.change.kind === 'replace',
        destroy: r.change.destroy,
      })),
      creates: count('create'),
      updates: count('update'),
      deletes: count('delete'),
      replaces: count('replace'),
      no_ops: count('no-op'),
      reads: count('read'),
      forgets: count('forget'),
      types: [...new Set(changes.filter((change) => change.kind !== 'no-op').map((change) => change.type))],
      destroys_any: changes.some((change) => change.destroy || change.kind === 'replace'),
      iam_changes: addresses((r) => r.iam),
      data_stores: addresses((r) => r.dataStore),
      public_exposure: addresses((r) => r.exposure?.public === true),
      unknown_exposure: reviewed.flatMap((r) =>
        r.exposure === null || r.exposure.public ? [] : [{ address: r.change.address, attributes: [...r.exposure.unknownAttributes] }],
      ),
      action_invocations: [...read.invocations],
      parse_error: '',
    }
    const notes = { errored: read.errored, incomplete: read.incomplete, invocations: read.invocations }
    return { facts, summary: summarize(facts, count('unknown'), notes), highlights: highlight(facts, reviewed, notes) }
  } catch (error) {
    // A bug here must not let a plan through unexamined: report it as unreadable, which policies
    // treat as "cannot vouch for this".
    return unreadable(`analysis failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function unreadable(error: string): Analysis<TerraformFacts> {
  const facts: TerraformFacts = {
    resource_changes: [],
    creates: 0,
    updates: 0,
    deletes: 0,
    replaces: 0,
    no_ops: 0,
    reads: 0,
    forgets: 0,
    types: [],
    destroys_any: true,
    iam_changes: [],
    data_stores: [],
    public_exposure: [],
    unknown_exposure: [],
    action_invocations: [],
    parse_error: error.length > ERROR_MAX ? `${error.slice(0, ERROR_MAX - 1)}…` : error,
  }
  const notes = { errored: false, incomplete: false, invocations: [] }
  return { facts, summary: summarize(facts, 0, notes), highlights: highlight(facts, [], notes) }
}

/**
 * An IAM type changed in any way, or another resource's access policy attribute set (create),
 * changed (update, replace) or possibly touched (unrecognized actions). Deleting a resource that
 * carries a policy takes access away with it and is not counted.
 */
function isIamChange(change: PlannedChange, changed: readonly string[]): boolean {
  const { kind } = change
  if (change.mode === 'data' || kind === 'no-op' || kind === 'read' || kind === 'forget') return false
  if (isIamType(change.type)) return true
  // An attribute known only after apply counts when the configuration sets it, or may: the
  // provider computes one nobody set (a new KMS key's default policy), and that is no change.
  const configured = (name: string): boolean => change.configured === null || change.configured.has(name)
  const setIn = (value: unknown, unknown: unknown): boolean =>
    IAM_POLICY_ATTRIBUTES.some((name) => hasValue(own(value, name)) || (markedAt(unknown, [name]) && configured(name)))
  switch (kind) {
    case 'create':
      return setIn(change.after, change.afterUnknown)
    case 'update':
    case 'replace':
      return IAM_POLICY_ATTRIBUTES.some((name) => changed.includes(name) && (!markedAt(change.afterUnknown, [name]) || configured(name)))
    case 'unknown':
      return setIn(change.after, change.afterUnknown) || setIn(change.before, false)
    default:
      return false
  }
}

function hasValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false
  if (Array.isArray(value)) return value.length > 0
  return !isObject(value) || Object.keys(value).length > 0
}
