import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analysis, Analyzer } from '../analyzer.js'
import type { KubernetesFacts } from './index.js'
import { loadKubernetesAnalyzer } from './index.js'

let kubernetes: Analyzer<KubernetesFacts>
before(async () => {
  kubernetes = await loadKubernetesAnalyzer()
})

const request = (method: string, path: string, body?: unknown): Analysis<KubernetesFacts> =>
  kubernetes.analyze({ request: body === undefined ? { method, path } : { method, path, body } })

function pick(facts: KubernetesFacts, expected: Partial<KubernetesFacts>): Partial<KubernetesFacts> {
  return Object.fromEntries(Object.keys(expected).map((key) => [key, facts[key as keyof KubernetesFacts]]))
}

const CRB = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' } }

describe('API requests and their facts', () => {
  const rows: readonly (readonly [string, string, string, unknown, Partial<KubernetesFacts>])[] = [
    ['deletes a deployment', 'DELETE', '/apis/apps/v1/namespaces/prod/deployments/api', undefined,
      { verb: 'delete', resource: 'deployments', namespace: 'prod', name: 'api', kind: 'Deployment', destructive: true }],
    ['deletes a collection', 'DELETE', '/api/v1/namespaces/prod/pods?labelSelector=app%3Dweb', undefined, { verb: 'deletecollection', destructive: true }],
    ['deletes a namespace', 'DELETE', '/api/v1/namespaces/prod', undefined, { verb: 'delete', resource: 'namespaces', name: 'prod', namespace: '', destructive: true }],
    ['gets a pod', 'GET', '/api/v1/namespaces/prod/pods/web-1', undefined, { verb: 'get', resource: 'pods', name: 'web-1', destructive: false, secrets_access: false }],
    ['lists secrets everywhere', 'GET', '/api/v1/secrets', undefined, { verb: 'list', resource: 'secrets', namespace: '*', all_namespaces: true, secrets_access: true }],
    ['lists nodes, which are cluster-scoped', 'GET', '/api/v1/nodes', undefined, { verb: 'list', all_namespaces: false, namespace: '' }],
    ['watches with a query parameter', 'GET', '/api/v1/namespaces/prod/pods?watch=true', undefined, { verb: 'watch' }],
    ['watches with the legacy prefix', 'GET', '/api/v1/watch/namespaces/prod/secrets', undefined, { verb: 'watch', resource: 'secrets', secrets_access: true }],
    ['execs into a pod', 'POST', '/api/v1/namespaces/x/pods/y/exec?command=sh&stdin=true&tty=true', undefined,
      { verb: 'exec', resource: 'pods', name: 'y', interactive_access: true, privileged: false }],
    ['execs over a websocket GET', 'GET', '/api/v1/namespaces/x/pods/y/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken', undefined,
      { verb: 'exec', interactive_access: true, secrets_access: true }],
    ['attaches', 'POST', '/api/v1/namespaces/x/pods/y/attach?stdin=true', undefined, { verb: 'attach', interactive_access: true }],
    ['port-forwards', 'POST', '/api/v1/namespaces/x/pods/y/portforward?ports=5432', undefined, { verb: 'portforward', interactive_access: false }],
    ['proxies to a service', 'GET', '/api/v1/namespaces/x/services/web:80/proxy/healthz', undefined, { verb: 'proxy', privileged: false }],
    ['proxies to the kubelet', 'POST', '/api/v1/nodes/node-1/proxy/run/prod/web-1/app', undefined, { verb: 'proxy', privileged: true, interactive_access: true }],
    ['evicts a pod', 'POST', '/api/v1/namespaces/prod/pods/web-1/eviction', {}, { verb: 'evict', destructive: true }],
    ['requests a token', 'POST', '/api/v1/namespaces/ops/serviceaccounts/deployer/token', {}, { verb: 'create', resource: 'serviceaccounts', secrets_access: true }],
    ['scales to zero', 'PATCH', '/apis/apps/v1/namespaces/prod/deployments/api/scale', { spec: { replicas: 0 } }, { verb: 'patch', destructive: true }],
    ['writes status', 'PUT', '/apis/apps/v1/namespaces/prod/deployments/api/status', { status: {} }, { verb: 'update', privileged: false, destructive: false }],
    ['creates a privileged pod', 'POST', '/api/v1/namespaces/prod/pods',
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } },
      { verb: 'create', name: 'p', privileged: true }],
    ['creates a pod from a YAML body', 'POST', '/api/v1/namespaces/prod/pods', 'metadata: {name: p}\nspec: {hostPID: true, containers: [{name: c, image: x}]}',
      { name: 'p', privileged: true }],
    ['creates a plain pod', 'POST', '/api/v1/namespaces/prod/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      { verb: 'create', privileged: false, rbac_escalation: false, secrets_access: false }],
    ['patches hostNetwork in with a JSON patch', 'PATCH', '/apis/apps/v1/namespaces/prod/deployments/api',
      [{ op: 'add', path: '/spec/template/spec/hostNetwork', value: true }], { privileged: true }],
    ['adds a privileged ephemeral container', 'PATCH', '/api/v1/namespaces/prod/pods/web-1/ephemeralcontainers',
      { spec: { ephemeralContainers: [{ name: 'dbg', image: 'busybox', securityContext: { privileged: true } }] } }, { verb: 'patch', privileged: true }],
    ['binds cluster-admin', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      { ...CRB, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'eve' }] }, { rbac_escalation: true }],
    ['binds view to all authenticated users', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      { ...CRB, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] }, { rbac_escalation: true }],
    ['binds view to one user', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      { ...CRB, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'bob' }] }, { rbac_escalation: false }],
    ['writes a binding without a body', 'PUT', '/apis/rbac.authorization.k8s.io/v1/namespaces/prod/rolebindings/x', undefined, { verb: 'update', rbac_escalation: true }],
    ['creates a role granting bind', 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/prod/roles',
      { metadata: { name: 'r' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['get', 'bind'] }] }, { rbac_escalation: true }],
    ['approves a certificate', 'PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1/approval',
      { status: { conditions: [{ type: 'Approved', status: 'True' }] } }, { rbac_escalation: true }],
    ['denies a certificate', 'PUT', '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1/approval',
      { status: { conditions: [{ type: 'Denied', status: 'True' }] } }, { rbac_escalation: false }],
    ['writes a secret', 'PUT', '/api/v1/namespaces/prod/secrets/db', { metadata: { name: 'db' }, data: {} }, { verb: 'update', secrets_access: true }],
    ['creates a deployment without a body', 'POST', '/apis/apps/v1/namespaces/prod/deployments', undefined, { privileged: true }],
    ['marks a dry run', 'DELETE', '/api/v1/namespaces/prod/pods/web-1?dryRun=All', undefined, { dry_run: true }],
    ['reads the version', 'GET', '/version', undefined, { verb: 'get', resource: '', destructive: false, privileged: false }],
    ['reads discovery', 'GET', '/apis/apps/v1', undefined, { verb: 'get', resource: '' }],
    ['takes the method in any case', 'delete', '/api/v1/namespaces/prod/pods/web-1', undefined, { verb: 'delete' }],
  ]
  for (const [what, method, path, body, expected] of rows) {
    it(`${what}: ${method} ${path}`, () => {
      const { facts } = request(method, path, body)
      assert.equal(facts.parse_error, '')
      assert.deepEqual(pick(facts, expected), expected)
    })
  }

  it('names the objects it touches with their API version', () => {
    assert.deepEqual(request('DELETE', '/apis/apps/v1/namespaces/prod/deployments/api').facts.objects, [
      { kind: 'Deployment', name: 'api', namespace: 'prod', api_version: 'apps/v1', resource: 'deployments', secret_refs: [] },
    ])
  })

  it('summarizes a delete as the approver would say it', () => {
    assert.equal(request('DELETE', '/apis/apps/v1/namespaces/prod/deployments/api').summary, 'delete deployments/api in prod')
  })
})

describe('API requests that cannot be analyzed', () => {
  const rows: readonly (readonly [string, string, string, unknown])[] = [
    ['a dot-dot segment', 'GET', '/api/v1/namespaces/dev/../kube-system/secrets', undefined],
    ['an encoded slash', 'GET', '/api/v1/namespaces/dev%2F..%2Fkube-system/secrets', undefined],
    ['an empty segment', 'GET', '/api/v1//secrets', undefined],
    ['bad percent-encoding', 'GET', '/api/v1/namespaces/%zz/pods', undefined],
    ['a path outside the API', 'GET', '/dashboard/secrets', undefined],
    ['a relative path', 'GET', 'api/v1/pods', undefined],
    ['a write to a read-only path', 'POST', '/version', undefined],
    ['an unknown method', 'TRACE', '/api/v1/pods', undefined],
    ['segments after a subresource', 'GET', '/api/v1/namespaces/x/pods/y/log/extra', undefined],
    ['a body that is not YAML', 'POST', '/api/v1/namespaces/x/pods', '{unclosed'],
    ['a body that is not an object', 'POST', '/api/v1/namespaces/x/pods', [1, 2]],
    ['an unknown JSON patch operation', 'PATCH', '/api/v1/namespaces/x/pods/y', [{ op: 'merge', path: '/spec', value: {} }]],
  ]
  for (const [what, method, path, body] of rows) {
    it(`sets parse_error and every risk flag for ${what}`, () => {
      const { facts } = request(method, path, body)
      assert.notEqual(facts.parse_error, '')
      assert.equal(facts.privileged && facts.rbac_escalation && facts.secrets_access && facts.destructive, true)
    })
  }
})
