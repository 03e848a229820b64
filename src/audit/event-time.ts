/**
 * When a stored event says it happened: its top-level `at`, as verification's clock check reads
 * it (in the walking thread, or in a worker thread for a batch of rows, with the same answer).
 */

/** The `at` of an event's text (a string for a stored row), `undefined` when it has none or is not JSON. */
export function eventAt(text: unknown): unknown {
  const at = atOf(text)
  if (at !== undefined) return at
  try {
    return (JSON.parse(text as string) as { at?: unknown } | null)?.at
  } catch {
    return undefined
  }
}

/** The time of {@link eventAt} in ms since the epoch; NaN when it is not a date. */
export function eventTime(text: unknown): number {
  const at = eventAt(text)
  return typeof at === 'string' ? Date.parse(at) : Number.NaN
}

/**
 * The top-level `at` of an event's canonical text without parsing it: in RFC 8785 text the keys
 * are sorted, so `"at":"` first occurs as the top-level member (only `action_id` and `actor`, whose
 * string values cannot hold an unescaped quote, come before it; nested objects are in `data`,
 * after it). `undefined` when the text does not look so; the caller then parses it.
 */
function atOf(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined
  const start = text.indexOf('"at":"')
  if (start < 0 || start > 400) return undefined
  const value = text.slice(start + 6, start + 30)
  return value.length === 24 && text[start + 30] === '"' ? value : undefined
}
