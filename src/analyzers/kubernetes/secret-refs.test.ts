import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { before, describe, it } from 'node:test'
import type { Analyzer } from '../analyzer.js'
import { type KubernetesFacts, loadKubernetesAnalyzer } from './index.js'
import { secretRefs } from './secret-refs.js'

let kubernetes: Analyzer<KubernetesFacts>
before(async () => {
  kubernetes = await loadKubernetesAnalyzer()
})

const manifest = readFileSync(new URL('./fixtures/workload-secrets.yaml', import.meta.url), 'utf8')

describe('kubernetes secret_refs', () => {
  it('lists, per object, the secrets each workload mounts or takes into its environment', () => {
    const { facts } = kubernetes.analyze({ manifest })
    const refs = Object.fromEntries(facts.objects.map((object) => [`${object.kind}/${object.name}`, object.secret_refs]))
    assert.deepEqual(refs, {
      'Deployment/api': ['secret/db-creds', 'secret/api-env', 'secret/api-tls'],
      'CronJob/backup': ['secret/s3-keys'],
      'Pod/vault-reader': ['secretproviderclass/vault-db', 'secret/csi-creds'],
      'StatefulSet/cache': [],
      'ConfigMap/settings': [],
    })
  })

  it('gathers every reference at the top level, without setting a risk flag by itself', () => {
    const { facts, highlights } = kubernetes.analyze({ manifest })
    assert.deepEqual(facts.secret_refs, ['secret/db-creds', 'secret/api-env', 'secret/api-tls', 'secret/s3-keys', 'secretproviderclass/vault-db', 'secret/csi-creds'])
    assert.equal(facts.secrets_access, false)
    assert.ok(highlights.includes('CronJob backup gives its containers secret/s3-keys'), JSON.stringify(highlights))
  })

  it('finds references in an API request body and in a patch', () => {
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', envFrom: [{ secretRef: { name: 'x' } }] }] } }
    const created = kubernetes.analyze({ request: { method: 'POST', path: '/api/v1/namespaces/prod/pods', body } }).facts
    assert.deepEqual(created.secret_refs, ['secret/x'])
    const patch = { spec: { template: { spec: { volumes: [{ name: 'v', secret: { secretName: 'y' } }] } } } }
    const patched = kubernetes.analyze({ request: { method: 'PATCH', path: '/apis/apps/v1/namespaces/prod/deployments/api', body: patch } }).facts
    assert.deepEqual(patched.secret_refs, ['secret/y'])
  })

  it('is [] for a kubectl line that writes nothing', () => {
    assert.deepEqual(kubernetes.analyze({ command: 'kubectl get pods -n prod' }).facts.secret_refs, [])
  })

  it('writes ? for a reference without a name, and leaves image pull secrets out', () => {
    assert.deepEqual(secretRefs({ spec: { imagePullSecrets: [{ name: 'pull' }], containers: [{ env: [{ valueFrom: { secretKeyRef: { key: 'k' } } }] }] } }), ['secret/?'])
  })
})
