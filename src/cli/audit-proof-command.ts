import { Command } from 'commander'
import { leafHash, MerkleTree } from '../audit/index.js'
import { CountersignError } from '../errors/index.js'
import { clientCommand, gatewayOptions, helpAndOutput, printJson } from './client-command.js'
import { readAuditLog, type AuditSourceFlags } from './audit-source.js'
import type { CliIo } from './io.js'

interface InclusionFlags extends AuditSourceFlags {
  readonly seq: string
  readonly treeSize: string
}

interface ConsistencyFlags extends AuditSourceFlags {
  readonly from: string
  readonly to: string
}

/**
 * `countersign audit proof inclusion|consistency`: RFC 9162 proofs computed here, from the log
 * read out of the store (`--config`), an export (`--file`) or the gateway's events, never from
 * the gateway's own proof endpoints: the same JSON as `GET /v1/audit/proofs/…`.
 */
export function auditProofCommand(io: CliIo): Command {
  const proof = helpAndOutput(new Command('proof').description('compute RFC 9162 inclusion and consistency proofs of the audit log yourself (offline with --config or --file)'), io, [
    'countersign audit proof inclusion --seq 42 --tree-size 1000 --file audit.jsonl',
    'countersign audit proof consistency --from 900 --to 1000 --config /etc/countersign.yaml',
  ])
  proof.addCommand(
    sourceOptions(clientCommand('inclusion', 'the inclusion proof of event SEQ in the tree of the first TREE_SIZE events', io, ['countersign audit proof inclusion --seq 42 --tree-size 1000 --file audit.jsonl']))
      .requiredOption('--seq <seq>', 'the event')
      .requiredOption('--tree-size <size>', 'the tree size (a signed checkpoint\'s)')
      .action(async (flags: InclusionFlags) => {
        const seq = count(flags.seq, '--seq')
        const size = count(flags.treeSize, '--tree-size')
        const tree = await treeOf(flags, io)
        if (seq > size) throw new CountersignError('INVALID', `event ${seq} is not in a tree of ${size} events`)
        const path = tree.inclusionProof(seq - 1, size)
        printJson(io, { seq, leaf_index: seq - 1, tree_size: size, leaf_hash: tree.leaf(seq - 1).toString('base64'), root_hash: tree.root(size).toString('base64'), proof: path.map((hash) => hash.toString('base64')) })
      }),
  )
  proof.addCommand(
    sourceOptions(clientCommand('consistency', 'the consistency proof from the tree of the first FROM events to the tree of the first TO', io, ['countersign audit proof consistency --from 900 --to 1000 --file audit.jsonl']))
      .requiredOption('--from <size>', 'the smaller tree size')
      .requiredOption('--to <size>', 'the larger tree size')
      .action(async (flags: ConsistencyFlags) => {
        const from = count(flags.from, '--from')
        const to = count(flags.to, '--to')
        const tree = await treeOf(flags, io)
        const path = tree.consistencyProof(from, to)
        printJson(io, { from, to, from_root: tree.root(from).toString('base64'), to_root: tree.root(to).toString('base64'), proof: path.map((hash) => hash.toString('base64')) })
      }),
  )
  return proof
}

/** `--config` and `--file`, then the gateway options (used when neither is given). */
export function sourceOptions(command: Command): Command {
  command
    .option('--config <file>', 'read the log from this config\'s store directly (an embedded store must not be in use)')
    .option('--file <export.jsonl>', 'read the log from JSON lines written by `countersign audit export`')
  return gatewayOptions(command, { json: false })
}

async function treeOf(flags: AuditSourceFlags, io: CliIo): Promise<MerkleTree> {
  const events = await readAuditLog(flags, io)
  const tree = new MerkleTree()
  for (const [index, event] of events.entries()) {
    if (event.seq !== index + 1) throw new CountersignError('INVALID', `the log has event ${event.seq} where event ${index + 1} belongs: run \`countersign audit verify\``)
    tree.append(leafHash(event.event))
  }
  return tree
}

function count(text: string, option: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new CountersignError('INVALID', `${option}: expected a positive whole number, got ${JSON.stringify(text)}`)
  return Number(text)
}
