import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analyzer } from '../analyzer.js'
import type { KubernetesFacts } from './index.js'
import { loadKubernetesAnalyzer } from './index.js'

let kubernetes: Analyzer<KubernetesFacts>
before(async () => {
  kubernetes = await loadKubernetesAnalyzer()
})

/** Applies one object, written as JSON (which is YAML). */
const applyObject = (object: object): KubernetesFacts => kubernetes.analyze({ manifest: JSON.stringify(object) }).facts

const pod = (spec: object): object => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec })
const container = (securityContext: object, extra: object = {}): object => pod({ containers: [{ name: 'c', image: 'x', securityContext, ...extra }] })

describe('what makes a pod privileged', () => {
  const rows: readonly (readonly [string, object, boolean])[] = [
    ['privileged: true', container({ privileged: true }), true],
    ['privileged: yes, a YAML 1.1 true', container({ privileged: 'yes' }), true],
    ['privileged spelled in another case', container({ Privileged: true }), true],
    ['allowPrivilegeEscalation: true', container({ allowPrivilegeEscalation: true }), true],
    ['any added capability', container({ capabilities: { add: ['NET_BIND_SERVICE'] } }), true],
    ['runAsUser 0', container({ runAsUser: 0 }), true],
    ['runAsNonRoot false', container({ runAsNonRoot: false }), true],
    ['a pod-level runAsUser 0', pod({ securityContext: { runAsUser: 0 }, containers: [{ name: 'c', image: 'x' }] }), true],
    ['an unconfined seccomp profile', container({ seccompProfile: { type: 'Unconfined' } }), true],
    ['an unconfined AppArmor profile', container({ appArmorProfile: { type: 'Unconfined' } }), true],
    ['an unmasked /proc', container({ procMount: 'Unmasked' }), true],
    ['a Windows host process', container({ windowsOptions: { hostProcess: true } }), true],
    ['hostNetwork', pod({ hostNetwork: true, containers: [] }), true],
    ['hostPID', pod({ hostPID: true, containers: [] }), true],
    ['hostIPC', pod({ hostIPC: true, containers: [] }), true],
    ['a hostPath volume', pod({ containers: [], volumes: [{ name: 'v', hostPath: { path: '/etc' } }] }), true],
    ['a hostPort', container({}, { ports: [{ containerPort: 80, hostPort: 80 }] }), true],
    ['a privileged init container', pod({ containers: [], initContainers: [{ name: 'i', securityContext: { privileged: true } }] }), true],
    ['a privileged ephemeral container', pod({ containers: [], ephemeralContainers: [{ name: 'e', securityContext: { privileged: true } }] }), true],
    ['the pre-1.30 AppArmor annotation', { ...pod({ containers: [{ name: 'c' }] }), metadata: { name: 'p', annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } } }, true],
    ['a PersistentVolume on a host path', { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { hostPath: { path: '/' } } }, true],
    ['a custom resource embedding a privileged pod template', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r' }, spec: { template: { spec: { containers: [{ name: 'c', securityContext: { privileged: true } }] } } } }, true],
    ['a namespace opened to privileged pods', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } }, true],
    ['a mutating webhook, which can inject anything into pods', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'w' }, webhooks: [] }, true],
    ['a privileged: false container', container({ privileged: false, allowPrivilegeEscalation: false }), false],
    ['dropped capabilities', container({ capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 1000 }), false],
    ['a hostPort of 0', container({}, { ports: [{ containerPort: 80, hostPort: 0 }] }), false],
    ['a RuntimeDefault seccomp profile', container({ seccompProfile: { type: 'RuntimeDefault' } }), false],
    ['a namespace enforcing restricted', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } }, false],
    ['a ConfigMap whose data mentions hostNetwork', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { hostNetwork: 'true' } }, false],
  ]
  for (const [what, object, privileged] of rows) {
    it(`${privileged ? 'flags' : 'does not flag'} ${what}`, () => {
      assert.equal(applyObject(object).privileged, privileged)
    })
  }
})

const RBAC = 'rbac.authorization.k8s.io/v1'
const role = (rules: readonly unknown[], extra: object = {}): object => ({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'r' }, rules, ...extra })
const rule = (verbs: readonly string[], resources: readonly string[]): object => ({ apiGroups: ['*'], verbs, resources })
const binding = (kind: string, roleRef: object, subjects: readonly object[]): object => ({ apiVersion: RBAC, kind, metadata: { name: 'b', namespace: kind === 'RoleBinding' ? 'prod' : undefined }, roleRef, subjects })
const user = { kind: 'User', name: 'bob' }

describe('what escalates RBAC', () => {
  const rows: readonly (readonly [string, object, boolean])[] = [
    ['a rule with * verbs', role([rule(['*'], ['pods'])]), true],
    ['a rule with * resources', role([rule(['get'], ['*'])]), true],
    ['the escalate verb', role([rule(['escalate'], ['clusterroles'])]), true],
    ['the bind verb', role([rule(['bind'], ['clusterroles'])]), true],
    ['the impersonate verb', role([rule(['impersonate'], ['users'])]), true],
    ['create on pods/exec', role([rule(['create'], ['pods/exec'])]), true],
    ['create on every pod subresource (pods/*)', role([rule(['create'], ['pods/*'])]), true],
    ['create on rolebindings', role([rule(['create'], ['rolebindings'])]), true],
    ['patch on clusterroles', role([rule(['patch'], ['clusterroles'])]), true],
    ['minting service account tokens', role([rule(['create'], ['serviceaccounts/token'])]), true],
    ['the kubelet API through nodes/proxy', role([rule(['get'], ['nodes/proxy'])]), true],
    ['approving certificate requests', role([rule(['update'], ['certificatesigningrequests/approval'])]), true],
    ['an aggregation rule', role([], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } }), true],
    ['a rule it cannot read', role(['get pods']), true],
    ['a binding to cluster-admin', binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'cluster-admin' }, [user]), true],
    ['a namespace binding to admin', binding('RoleBinding', { kind: 'ClusterRole', name: 'admin' }, [user]), true],
    ['a binding to edit', binding('RoleBinding', { kind: 'ClusterRole', name: 'edit' }, [user]), true],
    ['a binding to a system role', binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'system:controller:clusterrole-aggregation-controller' }, [user]), true],
    ['a binding of view to system:anonymous', binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'User', name: 'system:anonymous' }]), true],
    ['a binding of view to system:unauthenticated', binding('RoleBinding', { kind: 'ClusterRole', name: 'view' }, [{ kind: 'Group', name: 'system:unauthenticated' }]), true],
    ['a binding without a roleRef', binding('ClusterRoleBinding', {}, [user]), true],
    ['a read-only role', role([rule(['get', 'list', 'watch'], ['pods', 'configmaps'])]), false],
    ['wildcard apiGroups on a harmless resource', role([{ apiGroups: ['*'], verbs: ['get'], resources: ['deployments'] }]), false],
    ['get on secrets', role([rule(['get'], ['secrets'])]), true],
    ['list and watch on secrets', role([rule(['list', 'watch'], ['secrets'])]), true],
    ['get on a secret-like custom resource', role([rule(['get'], ['sealedsecrets'])]), true],
    ['create on mutatingwebhookconfigurations', role([rule(['create'], ['mutatingwebhookconfigurations'])]), true],
    ['patch on validatingwebhookconfigurations', role([rule(['patch'], ['validatingwebhookconfigurations'])]), true],
    ['create on pods/portforward', role([rule(['create'], ['pods/portforward'])]), true],
    ['get on pods/exec (the WebSocket exec)', role([rule(['get'], ['pods/exec'])]), true],
    ['create on pods/attach', role([rule(['create'], ['pods/attach'])]), true],
    ['patch on pods/ephemeralcontainers', role([rule(['patch'], ['pods/ephemeralcontainers'])]), true],
    ['the impersonate verb on serviceaccounts', role([rule(['impersonate'], ['serviceaccounts'])]), true],
    ['get on webhook configurations', role([rule(['get', 'list'], ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'])]), false],
    ['create on pods', role([rule(['create'], ['pods'])]), false],
    ['get on rolebindings', role([rule(['get', 'list'], ['rolebindings'])]), false],
    ['a binding of view to one user', binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'view' }, [user]), false],
    ['a binding of a custom role', binding('RoleBinding', { kind: 'Role', name: 'reader' }, [user]), false],
  ]
  for (const [what, object, escalates] of rows) {
    it(`${escalates ? 'flags' : 'does not flag'} ${what}`, () => {
      assert.equal(applyObject(object).rbac_escalation, escalates)
    })
  }
})

describe('what hands over secrets through RBAC (secrets_access)', () => {
  const reader = role([rule(['get', 'list', 'watch'], ['secrets'])], { metadata: { name: 'secret-reader' } })
  const rows: readonly (readonly [string, object | string, boolean])[] = [
    ['a role reading secrets', reader, true],
    ['a role with * verbs on secrets', role([rule(['*'], ['secrets'])]), true],
    ['a role reading every resource', role([rule(['get', 'list'], ['*'])]), true],
    ['a role writing webhook configurations (they see every admitted Secret)', role([rule(['create'], ['validatingwebhookconfigurations'])]), true],
    ['a role minting tokens', role([rule(['create'], ['serviceaccounts/token'])]), true],
    ['a binding of cluster-admin', binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'cluster-admin' }, [user]), true],
    [
      'a binding of a secret-reading role shown in the same manifest',
      [JSON.stringify(reader), JSON.stringify(binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'secret-reader' }, [user]))].join('\n---\n'),
      true,
    ],
    ['a role exec-ing into pods', role([rule(['create'], ['pods/exec'])]), false],
    ['a role reading configmaps', role([rule(['get'], ['configmaps'])]), false],
    ['a binding of view', binding('ClusterRoleBinding', { kind: 'ClusterRole', name: 'view' }, [user]), false],
  ]
  for (const [what, object, secrets] of rows) {
    it(`${secrets ? 'flags' : 'does not flag'} ${what}`, () => {
      const facts = typeof object === 'string' ? kubernetes.analyze({ manifest: object }).facts : applyObject(object)
      assert.equal(facts.secrets_access, secrets)
    })
  }

  it('flags a role created from kubectl flags that reads secrets', () => {
    const { facts } = kubernetes.analyze({ command: 'kubectl create clusterrole r --verb=get,list --resource=secrets' })
    assert.equal(facts.rbac_escalation, true)
    assert.equal(facts.secrets_access, true)
  })

  it('flags the binding itself, naming what the role grants', () => {
    const manifest = [JSON.stringify(reader), JSON.stringify(binding('RoleBinding', { kind: 'ClusterRole', name: 'secret-reader' }, [{ kind: 'ServiceAccount', name: 'ci', namespace: 'build' }]))].join('\n---\n')
    const { highlights } = kubernetes.analyze({ manifest })
    assert.ok(
      highlights.includes('binds ClusterRole secret-reader, which grants get, list, watch on secrets (reads credentials), to serviceaccount build/ci in prod'),
      JSON.stringify(highlights),
    )
  })
})
