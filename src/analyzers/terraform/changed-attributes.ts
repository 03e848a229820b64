import { isObject, jsonEqual, markedAt, own } from './json-values.js'
import type { PlannedChange } from './plan.js'

/**
 * The top-level attributes an update or replacement changes, sorted: those whose value differs
 * between before and after, those known only after apply (which may differ), and those whose
 * sensitivity changes (Terraform plans an update for that alone). Names only: the values, some of
 * them secrets, never leave this function.
 *
 * `[]` for other actions: a create sets and a delete drops every attribute.
 *
 * @example
 * changedAttributes(updateOf({ instance_type: 't3.small', tags: {} }, { instance_type: 't3.large', tags: {} })) // ['instance_type']
 */
export function changedAttributes(change: PlannedChange): string[] {
  if (change.kind !== 'update' && change.kind !== 'replace') return []
  const { before, after, afterUnknown, beforeSensitive, afterSensitive } = change
  if (!isObject(before) || !isObject(after)) {
    // Not the documented shape; every attribute either side names may have changed.
    return [...new Set([...keys(before), ...keys(after), ...keys(afterUnknown)])].sort()
  }
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...keys(afterUnknown)])
  const changed: string[] = []
  for (const name of names) {
    const differs =
      markedAt(afterUnknown, [name]) ||
      !jsonEqual(own(before, name) ?? null, own(after, name) ?? null) ||
      markedAt(beforeSensitive, [name]) !== markedAt(afterSensitive, [name])
    if (differs) changed.push(name)
  }
  return changed.sort()
}

function keys(value: unknown): string[] {
  return isObject(value) ? Object.keys(value) : []
}
