import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import fc from 'fast-check'
import type { Analyzer } from '../analyzer.js'
import type { KubernetesFacts } from './index.js'
import { KUBERNETES_FACT_TYPES, loadKubernetesAnalyzer } from './index.js'

let kubernetes: Analyzer<KubernetesFacts>
before(async () => {
  kubernetes = await loadKubernetesAnalyzer()
})

const PAYLOADS: readonly Readonly<Record<string, unknown>>[] = [
  { command: 'kubectl get pods' },
  { command: 'kubectl apply -f -', manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' },
  { request: { method: 'GET', path: '/api/v1/pods' } },
  { manifest: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n' },
  { command: 'kubectl get pods | sh' },
]

const RISK_FLAGS = ['privileged', 'rbac_escalation', 'secrets_access', 'interactive_access', 'destructive', 'all_namespaces'] as const

describe('the kubernetes analyzer', () => {
  it('keeps the fact names and types already promised to policy authors', () => {
    // What docs/facts.md and the declarations made before this analyzer existed promised.
    const promised = { verb: 'string', resource: 'string', namespace: 'string', name: 'string', kind: 'string', privileged: 'bool', rbac_escalation: 'bool', secrets_access: 'bool' }
    assert.equal(kubernetes.rootType, 'KubernetesFacts')
    for (const [name, type] of Object.entries(promised)) assert.equal(KUBERNETES_FACT_TYPES.KubernetesFacts?.[name], type, name)
  })

  it('declares exactly the facts it produces, for every payload form', () => {
    for (const payload of PAYLOADS) {
      const { facts } = kubernetes.analyze(payload)
      assert.deepEqual(Object.keys(facts).sort(), Object.keys(KUBERNETES_FACT_TYPES.KubernetesFacts ?? {}).sort())
    }
    const { facts } = kubernetes.analyze({ command: 'kubectl delete pod web-1' })
    for (const object of facts.objects) assert.deepEqual(Object.keys(object).sort(), Object.keys(KUBERNETES_FACT_TYPES.KubernetesObject ?? {}).sort())
  })

  it('gives facts of the declared CEL types', () => {
    const check: Record<string, (value: unknown) => boolean> = {
      string: (v) => typeof v === 'string',
      bool: (v) => typeof v === 'boolean',
      'list<string>': (v) => Array.isArray(v) && v.every((item) => typeof item === 'string'),
      'list<KubernetesObject>': (v) => Array.isArray(v),
    }
    for (const payload of PAYLOADS) {
      const { facts } = kubernetes.analyze(payload)
      for (const [name, type] of Object.entries(KUBERNETES_FACT_TYPES.KubernetesFacts ?? {})) {
        assert.ok(check[type]?.(facts[name as keyof KubernetesFacts]), `${name} is not a ${type}`)
      }
    }
  })

  it('analyzes a bare manifest as kubectl apply', () => {
    const { facts, summary } = kubernetes.analyze({ manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: prod}\n' })
    assert.equal(facts.verb, 'patch')
    assert.equal(summary, 'apply ConfigMap settings in prod')
  })

  it('fails closed on a payload of no known form', () => {
    const { facts } = kubernetes.analyze({ something: 'else' })
    assert.notEqual(facts.parse_error, '')
    for (const flag of RISK_FLAGS) assert.equal(facts[flag], true, flag)
  })

  it('escapes control and direction-changing characters in what approvers read', () => {
    const { summary, highlights } = kubernetes.analyze({ command: 'kubectl delete pod "web\u202e1-bew\nok"' })
    for (const text of [summary, ...highlights]) {
      assert.ok(!/[\u202e\n]/.test(text), text)
      assert.match(text, /\\u202e/)
    }
  })

  it('never throws, and sets every risk flag whenever it cannot analyze (commands)', () => {
    const words = fc.constantFrom('kubectl', 'k', 'oc', 'get', 'delete', 'apply', 'exec', '-n', 'prod', '-f', '-', '--', 'pods', 'secret', 'deploy/api', '-it', '--all', '-A', 'sh', "'x y'", '"$X"', '|', ';', '\\', '-p', '{"a":1}', 'create', 'secret', 'generic', 'rolebinding', '--clusterrole=admin', 'adm', 'policy', 'debug', 'node/n')
    fc.assert(
      fc.property(fc.array(words, { maxLength: 10 }), fc.option(fc.string(), { nil: undefined }), (parts, manifest) => {
        const payload = manifest === undefined ? { command: parts.join(' ') } : { command: parts.join(' '), manifest }
        const { facts } = kubernetes.analyze(payload)
        assert.ok(!facts.parse_error.startsWith('analysis failed'), facts.parse_error)
        if (facts.parse_error !== '') for (const flag of RISK_FLAGS) assert.equal(facts[flag], true, flag)
      }),
      { numRuns: 500 },
    )
  })

  it('handles arbitrary manifests, requests and lines without an internal failure', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), fc.jsonValue(), (text, path, method, body) => {
        const analyses = [
          kubernetes.analyze({ manifest: text }),
          kubernetes.analyze({ command: text }),
          kubernetes.analyze({ request: { method, path: `/${path}`, body } }),
          kubernetes.analyze({ request: { method, path: `/api/v1/namespaces/x/pods/${path}`, body } }),
          kubernetes.analyze({ request: { method, path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', body } }),
        ]
        for (const { facts } of analyses) assert.ok(!facts.parse_error.startsWith('analysis failed'), facts.parse_error)
      }),
      { numRuns: 300 },
    )
  })

  it('never shows a secret value given on the line or in a manifest', () => {
    const secretValue = fc.stringMatching(/^[A-Za-z0-9]{12,20}$/)
    fc.assert(
      fc.property(secretValue, (value) => {
        const line = kubernetes.analyze({ command: `kubectl create secret generic db --from-literal=password=${value} --token=${value}` })
        const manifest = kubernetes.analyze({ manifest: `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: ${value}}\n` })
        for (const analysis of [line, manifest]) assert.ok(!JSON.stringify(analysis).includes(value))
      }),
      { numRuns: 100 },
    )
  })

  it('reads a deeply nested manifest without overflowing, failing closed past the limit', () => {
    let value = '{containers: [{name: c}]}'
    for (let i = 0; i < 200; i++) value = `{spec: ${value}}`
    const { facts } = kubernetes.analyze({ manifest: `apiVersion: x/v1\nkind: Deep\nmetadata: {name: d}\nspec: ${value}\n` })
    assert.equal(facts.privileged, true)
  })
})
