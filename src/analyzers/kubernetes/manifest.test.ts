import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { before, describe, it } from 'node:test'
import type { Analysis, Analyzer } from '../analyzer.js'
import type { KubernetesFacts } from './index.js'
import { loadKubernetesAnalyzer } from './index.js'

let kubernetes: Analyzer<KubernetesFacts>
before(async () => {
  kubernetes = await loadKubernetesAnalyzer()
})

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const apply = (manifest: string): Analysis<KubernetesFacts> => kubernetes.analyze({ manifest })

describe('manifest fixtures', () => {
  it('flags the privileged sidecar of a Deployment and names it with its host path', () => {
    const { facts, summary, highlights } = apply(fixture('deployment-privileged-sidecar.yaml'))
    assert.equal(facts.verb, 'patch')
    assert.equal(facts.kind, 'Deployment')
    assert.equal(facts.name, 'api')
    assert.equal(facts.namespace, 'prod')
    assert.equal(facts.privileged, true)
    assert.equal(facts.rbac_escalation, false)
    assert.equal(summary, 'apply Deployment api in prod')
    assert.deepEqual(highlights, ['privileged container `debug` in Deployment api (privileged, hostPath /)'])
  })

  it('flags a DaemonSet reaching the host: namespaces, capabilities, ports and paths', () => {
    const { facts, highlights } = apply(fixture('daemonset-hostpath.yaml'))
    assert.equal(facts.privileged, true)
    const [first] = highlights
    for (const reason of ['hostNetwork', 'hostPID', 'SYS_ADMIN', 'NET_ADMIN', 'hostPort 9100', 'hostPath /var/run/docker.sock']) {
      assert.ok(first?.includes(reason), `${reason} missing from ${first}`)
    }
  })

  it('flags a ClusterRoleBinding to cluster-admin', () => {
    const { facts, highlights } = apply(fixture('clusterrolebinding-cluster-admin.yaml'))
    assert.equal(facts.rbac_escalation, true)
    assert.equal(facts.resource, 'clusterrolebindings')
    assert.equal(facts.namespace, '')
    assert.deepEqual(highlights, ['binds cluster-admin to serviceaccount ops/deployer'])
  })

  it('flags a Role with * verbs, and the binding handing it out', () => {
    const { facts, highlights } = apply(fixture('role-wildcard.yaml'))
    assert.equal(facts.rbac_escalation, true)
    assert.deepEqual(facts.resources, ['roles', 'rolebindings'])
    assert.deepEqual(highlights, [
      'Role do-anything grants all verbs (*) on pods, deployments',
      'binds Role do-anything, which grants all verbs (*) on pods, deployments, to user agent@example.com in prod',
    ])
  })

  it('flags a Secret without ever showing its values', () => {
    const analysis = apply(fixture('secret.yaml'))
    assert.equal(analysis.facts.secrets_access, true)
    assert.equal(analysis.facts.privileged, false)
    assert.ok(!JSON.stringify(analysis).includes('correct-horse'), 'a secret value leaked into the analysis')
  })

  it('lists every object of a multi-document manifest and summarizes them', () => {
    const { facts, summary } = kubernetes.analyze({ command: 'kubectl apply -n prod -f -', manifest: fixture('multi-doc.yaml') })
    assert.deepEqual(facts.objects, [
      { kind: 'Deployment', name: 'api', namespace: 'prod', api_version: 'apps/v1', resource: 'deployments', secret_refs: [] },
      { kind: 'Service', name: 'api', namespace: 'prod', api_version: 'v1', resource: 'services', secret_refs: [] },
      { kind: 'ClusterRoleBinding', name: 'ops-admin', namespace: '', api_version: 'rbac.authorization.k8s.io/v1', resource: 'clusterrolebindings', secret_refs: [] },
    ])
    assert.equal(facts.namespace, 'prod')
    assert.equal(facts.kind, '')
    assert.equal(facts.name, '')
    assert.equal(facts.rbac_escalation, true)
    assert.equal(facts.privileged, false)
    assert.equal(summary, 'apply 3 objects (Deployment api, Service api, ClusterRoleBinding ops-admin) in prod')
  })

  it('finds nothing in a Deployment following the restricted Pod Security Standard', () => {
    const { facts, highlights } = apply(fixture('restricted-deployment.yaml'))
    assert.deepEqual(
      [facts.privileged, facts.rbac_escalation, facts.secrets_access, facts.destructive, facts.interactive_access],
      [false, false, false, false, false],
    )
    assert.deepEqual(highlights, [])
  })

  it('expands a List and looks inside a CronJob job template, not inside ConfigMap data', () => {
    const { facts, highlights } = apply(fixture('cronjob-list.yaml'))
    assert.deepEqual(facts.resources, ['cronjobs', 'configmaps'])
    assert.equal(facts.privileged, true)
    assert.deepEqual(highlights, ['privileged container `prepare` in CronJob cleanup (hostPID, runs as root (runAsUser 0))'])
  })

  it('resolves anchors and merge keys the way kubectl does, and reads YAML 1.1 booleans', () => {
    const { facts } = apply(fixture('merge-keys.yaml'))
    assert.equal(facts.parse_error, '')
    assert.equal(facts.privileged, true)
  })
})

describe('manifests that cannot be analyzed', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)]
  const rows: readonly (readonly [string, string, RegExp])[] = [
    ['invalid YAML', 'kind: [unclosed', /invalid YAML in document 1/],
    ['duplicate keys, which kubectl resolves to the last one', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: false\n  hostPID: true\n', /DUPLICATE_KEY/],
    ['an alias bomb', `apiVersion: v1\nkind: ConfigMap\n${bomb.join('\n')}\n`, /too many YAML aliases/],
    ['a document without kind', 'apiVersion: v1\nmetadata: {name: x}\n', /has no kind/],
    ['a document without apiVersion', 'kind: Pod\nmetadata: {name: x}\n', /has no apiVersion/],
    ['a document that is a list', '- a\n- b\n', /not an object/],
    ['a List item that is not an object', 'apiVersion: v1\nkind: List\nitems: [3]\n', /item 1 of document 1 is not an object/],
    ['only empty documents', '---\n---\n', /no objects/],
    ['concatenated JSON objects', '{"apiVersion":"v1","kind":"Pod"}{"apiVersion":"v1","kind":"Pod"}', /invalid YAML/],
  ]
  for (const [what, manifest, reason] of rows) {
    it(`sets parse_error and every risk flag for ${what}`, () => {
      const { facts } = apply(manifest)
      assert.match(facts.parse_error, reason)
      assert.equal(facts.privileged && facts.rbac_escalation && facts.secrets_access && facts.destructive, true)
    })
  }

  it('does not quote the manifest in a YAML error, which could show a secret', () => {
    const { facts, summary, highlights } = apply('apiVersion: v1\nkind: Secret\nstringData:\n  password: "hunter2\n')
    assert.notEqual(facts.parse_error, '')
    assert.ok(![facts.parse_error, summary, ...highlights].some((text) => text.includes('hunter2')))
  })

  it('applies the items of any object carrying items, as kubectl decodes it as a list', () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p}\n    spec: {hostIPC: true, containers: [{name: a, image: x}]}\n'
    const { facts } = apply(manifest)
    assert.equal(facts.privileged, true)
    assert.deepEqual(facts.objects.map((o) => o.kind), ['Pod', 'ConfigMap'])
  })
})
