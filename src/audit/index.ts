/**
 * The tamper-evident audit chain, without storage: sealing events into a hash chain, signing
 * checkpoints over it, and verifying both. The formats are public: an auditor can reimplement
 * verification from the JSDoc of `AuditEventBody`, `StoredAuditEvent`, `sealEvent`,
 * `CheckpointBody`, `Checkpoint` and `signingKeyId`.
 */
export { AUDIT_EVENT_TYPES, GENESIS_HASH } from './event.js'
export type { AuditEventBody, AuditEventType, StoredAuditEvent } from './event.js'
export { sealEvent, sealEvents } from './seal.js'
export { signCheckpoint, signCheckpointWith, verifyCheckpointSignature } from './checkpoint.js'
export type { Checkpoint, CheckpointBody } from './checkpoint.js'
export { generateSigningKey, loadSigningKey, signingKeyId } from './signing-key.js'
export type { GeneratedSigningKey, SigningKey } from './signing-key.js'
export { AUDIT_PROBLEM_KINDS } from './problems.js'
export type { AuditProblem, AuditProblemKind } from './problems.js'
export { verifyChain } from './verify-chain.js'
export type { ArchiveBase, AuditWarning, VerifyChainOptions, VerifyReport } from './verify-chain.js'
export { compactRangeSizes, EMPTY_ROOT, leafHash, MerkleAccumulator, MerkleTree, nodeHash, verifyConsistency, verifyInclusion } from './merkle.js'
export { checkpointBody, cosignNote, formatWitnessKey, noteKeyHash, parseCheckpoint, parseSignatureLines, parseWitnessKey, signNote, signNoteWith, verifyCosignature, verifyNoteSignature } from './note.js'
export type { NoteSignature, SignedCheckpoint, TreeHead, WitnessKey } from './note.js'
export { judgeCheckpoint } from './witness.js'
export type { WitnessVerdict } from './witness.js'
export { OCSF_MAPPING, OCSF_VERSION, toCloudEvent, toOcsf } from './siem.js'
export type { ExportedEvent } from './siem.js'
export { ARCHIVE_FORMAT, isArchive, parseArchive, verifyArchive } from './archive.js'
export type { Archive, ArchivedEvent, ArchiveHeader } from './archive.js'
export { commandSigner, localSigner } from './signer.js'
export type { AuditSigner } from './signer.js'
