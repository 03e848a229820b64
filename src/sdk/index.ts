/**
 * The Countersign TypeScript SDK (`countersign/sdk`): a typed client of the HTTP API on the
 * platform's fetch and WebCrypto alone, offline receipt verification, and `guard` for tool
 * frameworks. It imports nothing from the gateway.
 */
export { Countersign } from './client.js'
export type { CountersignOptions, WaitOptions } from './client.js'
export { ActionError, ApiError, Cancelled, Denied, Expired, Failed, StillPending, denialReason } from './errors.js'
export type { ProblemDetail } from './errors.js'
export { guard } from './guard.js'
export type { BrokeredRun, GuardOptions } from './guard.js'
export { actionDigest, canonicalJson } from './canonical.js'
export { RECEIPT_PROBLEMS, RECEIPT_TYPE, ReceiptError, verifyReceipt } from './receipts.js'
export type { ReceiptProblem, VerifyReceiptOptions } from './receipts.js'
export { parseSse } from './sse.js'
export type { SseMessage } from './sse.js'
export { commandTokenSource } from './token-source.js'
export type { TokenSource } from './token-source.js'
export { ACTION_KINDS, ACTION_STATUSES, FINAL_STATUSES, isSettled } from './types.js'
export type {
  Action,
  ActionContext,
  ActionEvent,
  ActionInput,
  ActionKind,
  ActionPage,
  ActionResult,
  ActionStatus,
  AuditEvent,
  AuditPage,
  AuditVerification,
  AuditCheckpoints,
  AuditConsistencyProof,
  AuditInclusionProof,
  DryRun,
  IssuedToken,
  Jwks,
  ListFilter,
  OutcomeReport,
  ReceiptClaims,
  ReceiptView,
  RedeemInput,
  Requirement,
  Review,
  TimelineEntry,
  TokenRecord,
  WhoAmI,
} from './types.js'
