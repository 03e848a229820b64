import type { Action } from './action.js'
import { canonicalSha256 } from './canonical.js'

/**
 * The action's digest: SHA-256 of the RFC 8785 canonical JSON of `{kind, target, payload}`.
 * An approval is for one digest; the context is not part of it (it describes, it does not run).
 */
export function actionDigest(action: Pick<Action, 'kind' | 'target' | 'payload'>): string {
  return canonicalSha256({ kind: action.kind, target: action.target, payload: action.payload })
}
