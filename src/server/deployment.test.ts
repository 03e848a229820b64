// The deployment files, checked offline: neither Docker nor Helm runs here. The Helm chart is
// rendered by a small Go-template renderer that knows exactly the constructs the chart uses
// (values, if/else/end, not, quote, toYaml, nindent) and refuses anything else, so a template
// using more fails here instead of rendering wrongly; the rendered manifests are then parsed and
// checked, and the rendered countersign.yaml is loaded by the gateway's own config loader. The
// Dockerfile is parsed by dockerfile-ast; the systemd unit is read as the INI file it is.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, it } from 'node:test'
import { DockerfileParser } from 'dockerfile-ast'
import { parse, parseAllDocuments, stringify } from 'yaml'
import { parseConfig } from '../config/index.js'

const ROOT = resolve(import.meta.dirname, '../..')
const CHART = join(ROOT, 'deploy/helm/countersign')

type Value = unknown
type Scope = Record<string, Value>

/** Helm's values: the chart's values.yaml with a file's over it; a null removes a default. */
function mergeValues(base: Value, over: Value): Value {
  if (!isMap(base) || !isMap(over)) return over
  const merged: Scope = { ...base }
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete merged[key]
    else merged[key] = mergeValues(base[key], value)
  }
  return merged
}

const isMap = (value: Value): value is Scope => typeof value === 'object' && value !== null && !Array.isArray(value)
/** Go templates' truth: false, 0, nil and empty strings, lists and maps are false. */
const truthy = (value: Value): boolean => !(value === undefined || value === null || value === false || value === 0 || value === '' || (Array.isArray(value) && value.length === 0) || (isMap(value) && Object.keys(value).length === 0))

function evaluate(pipeline: string, scope: Scope): Value {
  let piped: Value
  let first = true
  for (const command of pipeline.split('|').map((part) => part.trim())) {
    const [name = '', ...args] = command.split(/\s+/)
    if (!name.startsWith('.') && !['toYaml', 'nindent', 'quote', 'not'].includes(name)) throw new Error(`the chart uses {{ ${command} }}, which this renderer does not know`)
    const values = args.map((arg) => term(arg, scope))
    if (!first) values.push(piped)
    first = false
    if (name.startsWith('.')) {
      if (args.length > 0) throw new Error(`unsupported: ${command}`)
      piped = term(name, scope)
    } else if (name === 'toYaml') piped = values[0] === undefined || values[0] === null ? 'null' : stringify(values[0]).trimEnd()
    else if (name === 'nindent') piped = `\n${String(values[1]).split('\n').map((line) => ' '.repeat(Number(values[0])) + line).join('\n')}`
    else if (name === 'quote') piped = JSON.stringify(String(values[0] ?? ''))
    else if (name === 'not') piped = !truthy(values[0])
    else throw new Error(`the chart uses {{ ${command} }}, which this renderer does not know`)
  }
  return piped
}

function term(text: string, scope: Scope): Value {
  if (/^-?\d+$/.test(text)) return Number(text)
  if (!text.startsWith('.')) throw new Error(`unsupported term ${text}`)
  let value: Value = scope
  for (const key of text.slice(1).split('.')) value = isMap(value) ? value[key] : undefined
  return value
}

/** Renders a template: actions `{{ pipeline }}`, `{{ if pipeline }}…{{ else }}…{{ end }}`, with `{{-`/`-}}` trimming. */
function render(template: string, scope: Scope): string {
  const pieces = template.split(/(\{\{-?\s*[\s\S]*?\s*-?\}\})/)
  const out: string[] = []
  const stack: { active: boolean; taken: boolean; outer: boolean }[] = []
  let active = true
  let trimNext = false
  for (const piece of pieces) {
    const action = /^\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}$/.exec(piece)
    if (!action) {
      const text = trimNext ? piece.replace(/^\s+/, '') : piece
      if (active) out.push(text)
      trimNext = false
      continue
    }
    const [, left, body = '', right] = action
    if (left && active) out.push((out.pop() ?? '').replace(/\s+$/, ''))
    trimNext = right === '-'
    if (body.startsWith('if ')) {
      const taken: boolean = active && truthy(evaluate(body.slice(3), scope))
      stack.push({ active, taken, outer: active })
      active = taken
    } else if (body === 'else') {
      const frame = stack.at(-1)!
      active = frame.outer && !frame.taken
    } else if (body === 'end') {
      active = stack.pop()!.outer
    } else if (active) {
      const value = evaluate(body, scope)
      out.push(value === undefined || value === null ? '' : String(value))
    }
  }
  assert.equal(stack.length, 0, 'every if has its end')
  return out.join('')
}

interface Manifest {
  readonly kind: string
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> }
  readonly spec?: any
  readonly data?: Record<string, string>
}

/** `helm template cs deploy/helm/countersign -f FILE`, as far as this chart needs. */
function renderChart(valuesFile?: string): Manifest[] {
  const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { name: string; appVersion: string; version: string }
  let values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Value
  if (valuesFile) values = mergeValues(values, parse(readFileSync(join(CHART, valuesFile), 'utf8')))
  const scope = { Values: values, Release: { Name: 'cs', Namespace: 'security', Service: 'Helm' }, Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion } }
  const manifests: Manifest[] = []
  for (const file of readdirSync(join(CHART, 'templates')).filter((name) => name.endsWith('.yaml')).sort()) {
    const text = render(readFileSync(join(CHART, 'templates', file), 'utf8'), scope)
    for (const document of parseAllDocuments(text)) {
      assert.deepEqual(document.errors, [], `${file} renders to valid YAML:\n${text}`)
      const manifest = document.toJS() as Manifest | null
      if (manifest) manifests.push(manifest)
    }
  }
  return manifests
}

const only = (manifests: Manifest[], kind: string): Manifest => {
  const found = manifests.filter((manifest) => manifest.kind === kind)
  assert.equal(found.length, 1, `one ${kind}`)
  return found[0]!
}

describe('the Helm chart (deploy/helm/countersign), rendered offline', () => {
  for (const scenario of [
    { values: undefined, replicas: 1, store: 'embedded' },
    { values: 'values-postgres.yaml', replicas: 3, store: 'postgres' },
  ] as const) {
    describe(scenario.values ?? 'values.yaml', () => {
      const manifests = renderChart(scenario.values)
      const deployment = only(manifests, 'Deployment')
      const pod = deployment.spec.template.spec
      const container = pod.containers[0]

      it(`runs ${scenario.replicas} replica(s) on the ${scenario.store} store, as a non-root user with a read-only root filesystem`, () => {
        assert.equal(deployment.spec.replicas, scenario.replicas)
        assert.equal(pod.securityContext.runAsNonRoot, true)
        assert.ok(pod.securityContext.runAsUser > 0)
        assert.equal(container.securityContext.readOnlyRootFilesystem, true)
        assert.equal(container.securityContext.allowPrivilegeEscalation, false)
        assert.deepEqual(container.securityContext.capabilities.drop, ['ALL'])
        assert.equal(pod.automountServiceAccountToken, false)
        // The embedded store is one process's: never two pods on it, even during a rollout.
        if (scenario.store === 'embedded') assert.equal(deployment.spec.strategy.type, 'Recreate')
      })

      it('probes liveness on /healthz and readiness on /readyz, on the container\'s port', () => {
        const port = container.ports.find((p: { name: string }) => p.name === 'http')
        assert.equal(port.containerPort, 8470)
        assert.equal(container.livenessProbe.httpGet.path, '/healthz')
        assert.equal(container.startupProbe.httpGet.path, '/healthz')
        assert.equal(container.readinessProbe.httpGet.path, '/readyz')
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) assert.equal(probe.httpGet.port, 'http')
      })

      it('mounts every volume it declares, the config from the ConfigMap and secrets only by reference', () => {
        const volumes = new Set(pod.volumes.map((volume: { name: string }) => volume.name))
        for (const mount of container.volumeMounts) assert.ok(volumes.has(mount.name), `volume ${mount.name}`)
        const configMap = only(manifests, 'ConfigMap')
        assert.equal(pod.volumes.find((volume: { name: string }) => volume.name === 'config').configMap.name, configMap.metadata.name)
        assert.equal(manifests.filter((manifest) => manifest.kind === 'Secret').length, 0, 'the chart creates no Secret')
        if (scenario.store === 'postgres') {
          const url = container.env.find((env: { name: string }) => env.name === 'DATABASE_URL')
          assert.deepEqual(url.valueFrom.secretKeyRef, { name: 'countersign-database', key: 'url' })
          assert.equal(pod.volumes.find((volume: { name: string }) => volume.name === 'signing-key').secret.secretName, 'countersign-signing-key')
          assert.equal(manifests.filter((manifest) => manifest.kind === 'PersistentVolumeClaim').length, 0)
        } else {
          const claim = only(manifests, 'PersistentVolumeClaim')
          assert.equal(pod.volumes.find((volume: { name: string }) => volume.name === 'data').persistentVolumeClaim.claimName, claim.metadata.name)
        }
      })

      it('renders a countersign.yaml the gateway loads, and the policy', () => {
        const configMap = only(manifests, 'ConfigMap')
        const config = parseConfig(configMap.data!['countersign.yaml']!, { baseDir: '/etc/countersign', file: 'countersign.yaml' })
        assert.equal(config.store.kind, scenario.store)
        assert.equal(config.server.host, '0.0.0.0')
        assert.equal(config.server.port, 8470)
        assert.equal(config.policy, '/etc/countersign/policy.yaml')
        if (scenario.store === 'postgres') {
          assert.deepEqual(config.server.trust_proxy, ['10.0.0.0/8'])
          assert.equal(config.audit.signing_key?.ref, 'file:/etc/countersign-keys/audit-ed25519.pem')
        }
        assert.equal((parse(configMap.data!['policy.yaml']!) as { version: number }).version, 1)
      })

      it('selects its own pods from the Service and the PodDisruptionBudget, which sets one bound', () => {
        const labels = deployment.spec.template.metadata.labels
        const service = only(manifests, 'Service')
        assert.deepEqual(service.spec.selector, labels)
        assert.equal(service.spec.ports[0].targetPort, 'http')
        const budget = only(manifests, 'PodDisruptionBudget')
        assert.deepEqual(budget.spec.selector.matchLabels, labels)
        assert.equal(['minAvailable', 'maxUnavailable'].filter((key) => key in budget.spec).length, 1)
        if (scenario.store === 'postgres') assert.equal(budget.spec.minAvailable, 2)
      })
    })
  }

  it('refuses a template construct it does not know, rather than rendering it wrongly', () => {
    assert.throws(() => render('{{ include "x" . }}', {}), /does not know/)
  })
})

describe('the Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
  const instructions = dockerfile.getInstructions()
  const stages = dockerfile.getFROMs()
  const runtimeStart = instructions.indexOf(stages.at(-1)!)
  const runtime = instructions.slice(runtimeStart)
  const args = (keyword: string): string[] => runtime.filter((instruction) => instruction.getKeyword() === keyword).map((instruction) => instruction.getArgumentsContent() ?? '')

  it('builds in one stage and runs from another, on Node 20', () => {
    assert.ok(stages.length >= 2)
    for (const stage of stages) assert.match(`${stage.getImageName()}:${stage.getImageTag()}`, /^node:20\b/)
    const copies = runtime.filter((instruction) => instruction.getKeyword() === 'COPY') as ReturnType<typeof dockerfile.getCOPYs>
    assert.ok(copies.some((copy) => copy.getFlags().some((flag) => flag.toString() === '--from=build')), 'the runtime stage takes the build from the build stage')
    assert.ok(args('RUN').some((run) => /npm ci --omit=dev/.test(run)), 'production dependencies only')
  })

  it('runs as a non-root user, with its data in a volume and a health check on /healthz', () => {
    const users = args('USER')
    assert.equal(users.length, 1)
    assert.doesNotMatch(users[0]!, /^(root|0)(:|$)/)
    assert.deepEqual(args('VOLUME'), ['["/var/lib/countersign"]'])
    assert.equal(dockerfile.getHEALTHCHECKs().length, 1)
    assert.match(args('HEALTHCHECK')[0]!, /\/healthz/)
    assert.match(args('ENTRYPOINT')[0]!, /bin\/countersign\.js/)
  })
})

describe('the systemd unit (deploy/systemd/countersign.service)', () => {
  const settings = new Map<string, string[]>()
  for (const line of readFileSync(join(ROOT, 'deploy/systemd/countersign.service'), 'utf8').split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line)
    if (match) settings.set(match[1]!, [...(settings.get(match[1]!) ?? []), match[2]!])
  }
  const one = (key: string): string | undefined => settings.get(key)?.[0]

  it('runs serve with the config, reloads the policy on reload', () => {
    assert.equal(one('ExecStart'), '/usr/bin/countersign serve --config /etc/countersign/countersign.yaml')
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID')
  })

  it('is hardened: its own user, a read-only system, a state directory, no new privileges or capabilities', () => {
    assert.ok(one('DynamicUser') === 'yes' || (one('User') ?? 'root') !== 'root')
    assert.equal(one('StateDirectory'), 'countersign')
    for (const [key, value] of [['ProtectSystem', 'strict'], ['NoNewPrivileges', 'yes'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['CapabilityBoundingSet', '']] as const) assert.equal(one(key), value, key)
  })
})
