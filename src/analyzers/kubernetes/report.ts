import type { Analysis } from '../analyzer.js'
import { type Assessment, RANK, type Target } from './assessment.js'
import type { KubernetesFacts, KubernetesObjectFacts } from './facts.js'

const SUMMARY_MAX = 200
const HIGHLIGHT_MAX = 300
const LABELS_LISTED = 4
const MAX_HIGHLIGHTS = 10

/**
 * Turns what was found into facts, a summary and highlights. An action that could not be
 * analyzed gets every risk flag set: a policy can then never read it as harmless.
 */
export function toAnalysis(a: Assessment): Analysis<KubernetesFacts> {
  const failed = a.parseError !== ''
  const resources = distinct(a.targets.map((t) => t.resource))
  const namespacedTargets = a.targets.filter((t) => !t.clusterScoped)
  const targetNamespaces = distinct(namespacedTargets.map((t) => t.namespace))
  const namespaces = a.allNamespaces ? ['*'] : targetNamespaces.filter((ns) => ns !== '')
  let namespace = ''
  if (a.allNamespaces) namespace = '*'
  else if (targetNamespaces.length === 1) namespace = targetNamespaces[0] ?? ''
  const names = distinct(a.targets.map((t) => t.name))
  const kinds = distinct(a.targets.map((t) => t.kind))
  const objects: KubernetesObjectFacts[] = a.targets
    .filter((t) => t.name !== '')
    .map((t) => ({ kind: t.kind, name: t.name, namespace: t.namespace, api_version: t.apiVersion, resource: t.resource, secret_refs: [...(a.secretRefs.get(t) ?? [])] }))

  const facts: KubernetesFacts = {
    verb: a.verb,
    verbs: a.verb === '' ? [...a.verbs] : [a.verb, ...a.verbs.filter((v) => v !== a.verb)],
    resource: resources.length === 1 ? (resources[0] ?? '') : '',
    resources,
    namespace,
    namespaces,
    name: names.length === 1 ? (names[0] ?? '') : '',
    kind: kinds.length === 1 ? (kinds[0] ?? '') : '',
    privileged: a.privileged || failed,
    rbac_escalation: a.rbacEscalation || failed,
    secrets_access: a.secretsAccess || failed,
    interactive_access: a.interactiveAccess || failed,
    destructive: a.destructive || failed,
    all_namespaces: a.allNamespaces || failed,
    dry_run: a.dryRun && !failed,
    objects,
    secret_refs: distinct([...a.secretRefs.values()].flat()),
    parse_error: a.parseError,
  }
  return { facts, summary: summarize(a, namespace, namespaces), highlights: highlight(a) }
}

function summarize(a: Assessment, namespace: string, namespaces: readonly string[]): string {
  if (a.parseError !== '') return printable(clip(`could not analyze: ${a.parseError}`))
  if (a.summaryLine !== '') return printable(clip(a.summaryLine + (a.dryRun ? ' (dry run)' : '')))
  let where = ''
  if (a.allNamespaces) where = ' in all namespaces'
  else if (namespace !== '') where = ` in ${namespace}`
  else if (namespaces.length > 1) where = ` in ${namespaces.length} namespaces`
  const subject = a.subject !== '' ? a.subject : describeTargets(a.targets)
  const line = [a.action, subject].filter((part) => part !== '').join(' ') + where + a.detail + (a.dryRun ? ' (dry run)' : '')
  return printable(clip(line))
}

function describeTargets(targets: readonly Target[]): string {
  const fromManifest = targets.filter((t) => t.fromManifest)
  if (fromManifest.length > 1) {
    return `${fromManifest.length} objects (${listed(fromManifest.map((t) => `${t.kind || t.resource} ${t.name}`.trim()))})`
  }
  return listed(targets.map((t) => (t.fromManifest ? `${t.kind || t.resource} ${t.name}`.trim() : t.name === '' ? t.resource : `${t.resource}/${t.name}`)))
}

function listed(labels: readonly string[]): string {
  const unique = distinct(labels)
  const more = unique.length > LABELS_LISTED ? `, +${unique.length - LABELS_LISTED} more` : ''
  return unique.slice(0, LABELS_LISTED).join(', ') + more
}

function highlight(a: Assessment): string[] {
  const findings = [...a.findings]
  if (a.parseError !== '') {
    findings.push({ rank: RANK.parse, text: `could not analyze (${a.parseError}): treated as privileged, escalating, reading secrets and destructive` })
  }
  // Sorting is stable: the order within a rank is kept.
  const sorted = findings.sort((x, y) => x.rank - y.rank).map((finding) => printable(clip(finding.text, HIGHLIGHT_MAX)))
  const out = distinct(sorted)
  if (out.length <= MAX_HIGHLIGHTS) return out
  const kept = out.slice(0, MAX_HIGHLIGHTS - 1)
  kept.push(`+${out.length - kept.length} more risky points`)
  return kept
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)]
}

function clip(text: string, max = SUMMARY_MAX): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * Escapes control characters and invisible or direction-changing Unicode, so that a crafted
 * object name cannot forge or reorder the line an approver reads.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (ch) => {
    if (ch === '\n') return '\\n'
    if (ch === '\t') return '\\t'
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}
