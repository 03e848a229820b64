import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { requirementProgress } from '../lifecycle/index.js'
import { conflictedOf, requirementsOf, type ActionState } from '../service/index.js'
import { WAIT_TOOL } from './builtin-tools.js'

/** Result fields that describe the execution, not what the action returned. */
const EXECUTION_FIELDS = new Set(['executor', 'finished_at', 'reported_by'])

/** The console page of an action. */
export function consoleLink(publicUrl: string, id: string): string {
  return `${publicUrl}/actions/${id}`
}

const text = (value: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: value }], ...(isError && { isError: true }) })

/**
 * What a tool call returns for an action that reached its end: the upstream tool's own result
 * (content and structured content, as it returned them), a built-in's execution result as JSON,
 * or a tool error saying why nothing ran (the policy's messages, the reviewer's reason, expiry).
 */
export function finalResult(state: ActionState): CallToolResult {
  const { record, reviews } = state
  const decision = record.decision as { effect?: string; messages?: readonly string[]; explanation?: string }
  switch (record.status) {
    case 'denied': {
      if (decision.effect === 'deny') return text(`Countersign's policy denied this call: ${(decision.messages ?? []).join(' ') || decision.explanation || 'no rule allows it'}`, true)
      const denial = reviews.find((review) => review.decision === 'deny')
      return text(`Denied by ${denial?.reviewer ?? 'a reviewer'}${denial?.reason ? `: ${denial.reason}` : ''}. It was not run (action ${record.id}).`, true)
    }
    case 'expired':
      return text(`Action ${record.id} expired: ${record.executeBy ? 'it was approved but not run in time' : 'nobody decided before the request timed out'}. It was not run; make the call again to ask anew.`, true)
    case 'cancelled':
      return text(`Action ${record.id} was cancelled. It was not run.`, true)
    case 'allowed':
    case 'approved':
      // Settled yet not run: its target has no connector, so the agent runs it (with its receipt).
      return text(`Action ${record.id} is ${record.status}, but its target ${record.target} has no connector: Countersign does not run it. Redeem its receipt through the API (POST /v1/actions/${record.id}/receipt) and run it yourself.`)
    default:
      return executionResult(state)
  }
}

function executionResult({ record }: ActionState): CallToolResult {
  const result = (record.result ?? {}) as Record<string, unknown>
  const failed = record.status === 'failed'
  const body = result['body']
  if (record.kind === 'mcp' && typeof body === 'string') {
    if (result['truncated'] !== true) {
      const parsed = JSON.parse(body) as Pick<CallToolResult, 'content' | 'structuredContent'>
      return { content: parsed.content, ...(parsed.structuredContent !== undefined && { structuredContent: parsed.structuredContent }), ...(failed && { isError: true }) }
    }
    const total = typeof result['output_bytes_total'] === 'number' ? ` of ${result['output_bytes_total']}` : ''
    return text(`The tool's result was cut at Countersign's limit (the first ${Buffer.byteLength(body)}${total} bytes of its JSON):\n${body}`, failed)
  }
  if (record.kind === 'mcp') return text(`The call failed: ${String(result['error'] ?? 'no result')}`, true)
  const shown = Object.fromEntries(Object.entries(result).filter(([key]) => !EXECUTION_FIELDS.has(key)))
  return { content: [{ type: 'text', text: JSON.stringify(shown, null, 2) }], structuredContent: shown, ...(failed && { isError: true }) }
}

/**
 * The result of a call whose action is still waiting (for reviewers, or to finish running) when
 * the hold ends: not an error, since nothing failed. It names the action and how to get its outcome.
 */
export function pendingResult(state: ActionState, publicUrl: string): CallToolResult {
  const { record } = state
  const link = consoleLink(publicUrl, record.id)
  const waiting = record.status === 'pending' ? `is waiting for approval (${waitingFor(state)})` : record.status === 'approved' || record.status === 'allowed' ? 'is approved and about to run' : 'is running'
  return text(
    `Action ${record.id} ${waiting}; it has not produced a result yet. Reviewers see it at ${link}.\n` +
      `To get the outcome, call ${WAIT_TOOL} with {"id": "${record.id}"}, or repeat this identical call (it is matched to this action, not run twice).`,
  )
}

/** Who must still approve, per requirement: `group:dba 1/2; user:carol@example.com 0/1`. */
export function waitingFor(state: ActionState): string {
  const requirements = requirementsOf(state.record)
  const progress = requirementProgress(requirements, state.reviews, conflictedOf(state.record))
  return (
    progress
      .map((requirement) => `${requirement.approvers.length > 0 ? requirement.approvers.join(' or ') : 'any reviewer'} ${requirement.approved_by.length}/${requirement.min_approvals}`)
      .join('; ') || 'reviewers'
  )
}
