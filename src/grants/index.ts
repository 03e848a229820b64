export { grantShapeOf, pathTemplate, shapeMismatch, ungrantable } from './grant-shape.js'
export type { GrantShape } from './grant-shape.js'
export { checkGrantRequest, grantMismatch } from './grant-rules.js'
export type { Grant, GrantCandidate, GrantRequest } from './grant-rules.js'
