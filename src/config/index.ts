export { EMPTY_POLICY_CONTEXT, readPolicyContext } from './policy-context.js'
export type { PolicyContext } from './policy-context.js'
