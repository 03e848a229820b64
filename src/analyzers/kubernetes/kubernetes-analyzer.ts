import type { Analysis, Analyzer, FactTypes } from '../analyzer.js'
import { type ApiRequest, analyzeRequest } from './api-request.js'
import { Assessment } from './assessment.js'
import type { KubernetesFacts } from './facts.js'
import { analyzeKubectl } from './kubectl-line.js'
import { parseManifest } from './manifest.js'
import { reviewWrites } from './object-review.js'
import { toAnalysis } from './report.js'
import { resourceOfKind } from './resources.js'
import { flagVerbEffects } from './verb-effects.js'

/** CEL declarations of the `kubernetes` facts; every field of `KubernetesFacts` and `KubernetesObjectFacts`. */
export const KUBERNETES_FACT_TYPES: FactTypes = {
  KubernetesFacts: {
    verb: 'string',
    verbs: 'list<string>',
    resource: 'string',
    resources: 'list<string>',
    namespace: 'string',
    namespaces: 'list<string>',
    name: 'string',
    kind: 'string',
    privileged: 'bool',
    rbac_escalation: 'bool',
    secrets_access: 'bool',
    interactive_access: 'bool',
    destructive: 'bool',
    all_namespaces: 'bool',
    dry_run: 'bool',
    objects: 'list<KubernetesObject>',
    secret_refs: 'list<string>',
    parse_error: 'string',
  },
  KubernetesObject: { kind: 'string', name: 'string', namespace: 'string', api_version: 'string', resource: 'string', secret_refs: 'list<string>' },
}

/**
 * Returns the `kubernetes` analyzer (nothing to load; async like the others). Its `analyze` takes
 * `{command, manifest?}` (a kubectl line, with what it reads from `-f -`), `{request: {method,
 * path, body?}}` (an API request) or `{manifest}` (YAML documents, analyzed as `kubectl apply`),
 * is synchronous and never throws: what it cannot analyze sets `parse_error` and every risk flag.
 *
 * @example
 * const kubernetes = await loadKubernetesAnalyzer()
 * kubernetes.analyze({ command: 'kubectl delete deployment api -n prod' }).summary // 'delete deployments/api in prod'
 */
export async function loadKubernetesAnalyzer(): Promise<Analyzer<KubernetesFacts>> {
  return {
    kind: 'kubernetes',
    rootType: 'KubernetesFacts',
    types: KUBERNETES_FACT_TYPES,
    analyze: analyzeKubernetes,
  }
}

function analyzeKubernetes(payload: Readonly<Record<string, unknown>>): Analysis<KubernetesFacts> {
  let a = new Assessment()
  try {
    const { command, request, manifest } = payload
    if (typeof command === 'string') analyzeKubectl(a, command, typeof manifest === 'string' ? manifest : undefined)
    else if (isRequest(request)) analyzeRequest(a, request)
    else if (typeof manifest === 'string') applyManifest(a, manifest)
    else a.fail('the payload has no command, request or manifest')
  } catch (error) {
    // A bug here must not let an action through unexamined: report it as a parse error, which
    // sets every risk flag.
    a = new Assessment()
    a.fail(`analysis failed: ${error instanceof Error ? error.message : String(error)}`)
  }
  return toAnalysis(a)
}

/** A bare manifest is what the connector applies: analyzed as `kubectl apply -f -`. */
function applyManifest(a: Assessment, manifest: string): void {
  a.useVerb('patch')
  a.action = 'apply'
  const parsed = parseManifest(manifest)
  if ('error' in parsed) return a.fail(parsed.error)
  if (parsed.objects.length === 0) return a.fail('the manifest holds no objects')
  const objects = parsed.objects.map((object) => ({
    target: a.addTarget({ resource: resourceOfKind(object.kind), kind: object.kind, name: object.name, namespace: object.namespace, apiVersion: object.apiVersion, fromManifest: true }),
    body: object.body,
    partial: false,
  }))
  flagVerbEffects(a)
  reviewWrites(a, objects)
}

function isRequest(value: unknown): value is ApiRequest {
  if (typeof value !== 'object' || value === null) return false
  const { method, path } = value as Record<string, unknown>
  return typeof method === 'string' && typeof path === 'string'
}
