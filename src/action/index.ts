export { ACTION_KINDS, ActionContextSchema, ActionDraftSchema, ActionSchema, TargetNameSchema } from './action.js'
export type { Action, ActionContext, ActionKind } from './action.js'
export { canonicalJson, canonicalSha256 } from './canonical.js'
export { actionDigest } from './digest.js'
