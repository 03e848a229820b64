import { type Assessment, RANK } from './assessment.js'
import { type KubectlArgs, parseKubectl } from './kubectl-args.js'
import { handleChangeCommand } from './kubectl-changes.js'
import { handleContainerCommand } from './kubectl-containers.js'
import { handleCreate, handleOcAdmPolicy } from './kubectl-create.js'
import { applyGlobalFlags } from './kubectl-global-flags.js'
import { handleReadCommand } from './kubectl-reads.js'
import type { KubectlContext } from './kubectl-targets.js'
import { handleWriteCommand } from './kubectl-writes.js'
import { splitWords } from './shell-words.js'

/**
 * Analyzes one kubectl (or `k`, `oc`) command line as typed, with the manifest it reads from
 * stdin when given. Lines that are not exactly one kubectl invocation fail the assessment.
 *
 * @example analyzeKubectl(a, 'kubectl delete deployment api -n prod', undefined) // verb delete, resource deployments…
 */
export function analyzeKubectl(a: Assessment, line: string, manifest: string | undefined): void {
  const split = splitWords(line)
  if ('error' in split) return a.fail(split.error)
  const parsed = parseKubectl(split.words)
  if ('error' in parsed) return a.fail(parsed.error)
  const k = parsed.parsed
  applyGlobalFlags(a, k)
  const ctx: KubectlContext = { manifest, manifestRead: false }
  dispatch(a, k, ctx)
  if (manifest !== undefined && !ctx.manifestRead && a.parseError === '') {
    a.note(RANK.note, 'the attached manifest is not read by this command')
  }
}

/** Runs the handler of a command; `oc adm drain|cordon|…` are kubectl's own. */
function dispatch(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  const [command = ''] = k.command
  if (command === 'adm') {
    if (k.command[1] === 'policy') return handleOcAdmPolicy(a, k)
    return dispatch(a, { ...k, command: k.command.slice(1) }, ctx)
  }
  if (command === 'create' && k.command.length > 1) return handleCreate(a, k)
  if (handleWriteCommand(a, k, ctx)) return
  if (handleChangeCommand(a, k, ctx)) return
  if (handleContainerCommand(a, k, ctx)) return
  if (handleReadCommand(a, k, ctx)) return
  a.fail(`unsupported command ${k.command.join(' ')}`)
}
