import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { connectorProblems, createConnector } from './index.js'
import { planJsonDigest } from './terraform.js'
import { testContext, testRequest, testSecret, testTarget } from './test-support.js'

// The real Terraform CLI, with only its built-in provider (terraform_data) and the local-exec
// provisioner: nothing is downloaded. Missing Terraform fails these tests; it never skips them.
const root = mkdtempSync(join(tmpdir(), 'cs-terraform-'))
after(() => rmSync(root, { recursive: true, force: true }))

/** Environment for the test's own terraform runs: no CLI config file of the machine's. */
const TF_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root, TF_IN_AUTOMATION: '1', TF_INPUT: '0' }

function tf(dir: string, ...args: string[]): string {
  return execFileSync('terraform', args, { cwd: dir, env: TF_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** A working directory whose configuration writes the identity and a credential it gets into files. */
function workingDir(name: string, input = 'v1'): string {
  const dir = join(root, name)
  execFileSync('mkdir', ['-p', dir])
  writeFileSync(
    join(dir, 'main.tf'),
    `resource "terraform_data" "change" {
  input = "${input}"
  provisioner "local-exec" {
    command = "printf '%s|%s|%s|%s' \\"$COUNTERSIGN_REQUEST_ID\\" \\"$COUNTERSIGN_AGENT\\" \\"$COUNTERSIGN_APPROVERS\\" \\"$COUNTERSIGN_ON_BEHALF_OF\\" > identity-${input}.txt; printf '%s' \\"$CLOUD_TOKEN\\" > token.txt; echo \\"token is $CLOUD_TOKEN\\""
  }
}
`,
  )
  tf(dir, 'init', '-input=false', '-no-color')
  return dir
}

/** `terraform plan -out` in `dir`: the payload an agent submits (plan JSON and the saved plan). */
function planOf(dir: string, file = 'agent.tfplan'): { plan: Record<string, unknown>; saved_plan: string } {
  tf(dir, 'plan', '-input=false', '-no-color', `-out=${file}`)
  return { plan: JSON.parse(tf(dir, 'show', '-json', file)) as Record<string, unknown>, saved_plan: readFileSync(join(dir, file)).toString('base64') }
}

const token = 'tf-cloud-token-5b8e2f71c0a94d36'
const tokenVar = testSecret(token)
const target = (dir: string, options: Record<string, unknown> = {}) =>
  testTarget('terraform', { type: 'terraform', working_dir: dir, run_as_gateway_user: true, credentials: { CLOUD_TOKEN: `env:${tokenVar}` }, ...options })

async function apply(dir: string, payload: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const connector = createConnector(target(dir, options))
  try {
    const request = testRequest(target(dir, options), payload)
    return { request, result: await connector.execute(request) }
  } finally {
    await connector.close()
  }
}

describe('terraform connector', () => {
  before(() => {
    // Fails (never skips) where Terraform is missing: .ci/run requires it too.
    assert.match(tf(root, 'version'), /^Terraform v1\./)
  })

  it('applies the approved saved plan with the held credentials and the identity in its environment', async () => {
    const dir = workingDir('apply')
    const { request, result } = await apply(dir, planOf(dir))
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(result.exit_code, 0)
    assert.match(result.stdout ?? '', /Apply complete! Resources: 1 added, 0 changed, 0 destroyed/)
    // The provisioner echoed the credential: the result masks it; the target got it.
    assert.match(result.stdout ?? '', /token is \*\*\*/)
    assert.ok(!JSON.stringify(result).includes(token))
    assert.equal(readFileSync(join(dir, 'token.txt'), 'utf8'), token)
    assert.equal(readFileSync(join(dir, 'identity-v1.txt'), 'utf8'), `${request.context.request_id}|deploy-bot|alice@example.com,bob@example.com|dev@example.com`)
    assert.equal(result.state_serial_before, null)
    assert.equal(typeof result.state_serial_after, 'number')
    assert.equal(result.plan_digest, planJsonDigest(request.action.payload['plan']))
    assert.match(result.saved_plan_sha256 ?? '', /^[0-9a-f]{64}$/)
  })

  it('records the state serial before and after an apply of an existing state', async () => {
    const dir = workingDir('serial')
    await apply(dir, planOf(dir))
    writeFileSync(join(dir, 'main.tf'), readFileSync(join(dir, 'main.tf'), 'utf8').replace('"v1"', '"v2"'))
    const { result } = await apply(dir, planOf(dir))
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(typeof result.state_serial_before, 'number')
    assert.ok(result.state_serial_after! > result.state_serial_before!, `${result.state_serial_before} -> ${result.state_serial_after}`)
  })

  it('refuses a saved plan that is not the approved plan JSON, and applies nothing', async () => {
    const dir = workingDir('swap')
    const approved = planOf(dir, 'approved.tfplan')
    writeFileSync(join(dir, 'main.tf'), readFileSync(join(dir, 'main.tf'), 'utf8').replace('"v1"', '"evil"'))
    const other = planOf(dir, 'other.tfplan')
    const { result } = await apply(dir, { plan: approved.plan, saved_plan: other.saved_plan })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /the saved plan is not the approved plan: terraform show -json of it has the canonical digest [0-9a-f]{64}, the approved plan JSON [0-9a-f]{64}; nothing was applied/)
    assert.equal(existsSync(join(dir, 'identity-evil.txt')), false)
    assert.equal(existsSync(join(dir, 'terraform.tfstate')), false)
  })

  it('refuses a stale saved plan with a clear result (Terraform checks the state)', async () => {
    const dir = workingDir('stale')
    const first = planOf(dir, 'first.tfplan')
    const second = planOf(dir, 'second.tfplan')
    assert.equal((await apply(dir, first)).result.status, 'succeeded')
    const serial = JSON.parse(readFileSync(join(dir, 'terraform.tfstate'), 'utf8')).serial as number
    const { result } = await apply(dir, second)
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /^the saved plan is stale: the state changed after it was planned, and Terraform refused to apply it; nothing was applied/)
    assert.match(result.stderr ?? '', /Saved plan is stale/)
    assert.equal(result.state_serial_before, serial)
    assert.equal(result.state_serial_after, serial)
  })

  it('refuses a saved plan whose SHA-256 is not the plan_sha256 the action names', async () => {
    const dir = workingDir('sha')
    const { result } = await apply(dir, { ...planOf(dir), plan_sha256: 'a'.repeat(64) })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /not the plan_sha256 a{64}/)
    assert.equal(existsSync(join(dir, 'terraform.tfstate')), false)
  })

  it('refuses an action without a saved plan', async () => {
    const dir = workingDir('noplan')
    const { result } = await apply(dir, { plan: planOf(dir).plan })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /no saved_plan/)
  })

  it('reports what terraform show says of a file that is no plan, without applying', async () => {
    const dir = workingDir('garbage')
    const { result } = await apply(dir, { plan: planOf(dir).plan, saved_plan: Buffer.from('not a plan').toString('base64') })
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /terraform show could not read the saved plan/)
    assert.equal(result.stdout, '')
  })

  it('runs terraform init first when init is true', async () => {
    const dir = workingDir('init')
    const payload = planOf(dir)
    rmSync(join(dir, '.terraform'), { recursive: true, force: true })
    rmSync(join(dir, '.terraform.lock.hcl'), { force: true })
    const { result } = await apply(dir, payload, { init: true })
    assert.equal(result.status, 'succeeded', result.error)
    assert.match(result.stdout ?? '', /Terraform has been successfully initialized![\s\S]*Apply complete!/)
  })

  it('passes no identity when the option identity is false', async () => {
    const dir = workingDir('noidentity')
    const { result } = await apply(dir, planOf(dir), { identity: false })
    assert.equal(result.status, 'succeeded', result.error)
    assert.equal(readFileSync(join(dir, 'identity-v1.txt'), 'utf8'), '|||')
  })

  it('checks its options at start without reading a secret', () => {
    const problems = (options: Record<string, unknown>) => connectorProblems(testTarget('terraform', { type: 'terraform', run_as_gateway_user: true, ...options }))
    assert.deepEqual(problems({ working_dir: '/srv/infra', credentials: { AWS_SECRET_ACCESS_KEY: 'env:NOT_SET_ANYWHERE' } }), [])
    assert.match(problems({ working_dir: 'infra' }).join(), /connector option working_dir: expected an absolute path/)
    assert.match(problems({ working_dir: '/srv/infra', credentials: { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' } }).join(), /credentials.AWS_ACCESS_KEY_ID: expected a secret reference/)
    assert.match(problems({ working_dir: '/srv/infra', env_allow: ['AWS_SECRET_ACCESS_KEY'] }).join(), /looks like a credential/)
    assert.match(connectorProblems(testTarget('terraform', { type: 'terraform', working_dir: '/srv/infra' })).join(), /run_as_gateway_user: true/)
    assert.match(connectorProblems(testTarget('shell', { type: 'terraform', working_dir: '/srv/infra', run_as_gateway_user: true })).join(), /runs terraform actions, but the target is of kind shell/)
  })

  it('stops an apply when the execution is aborted', async () => {
    const dir = join(root, 'abort')
    execFileSync('mkdir', ['-p', dir])
    writeFileSync(join(dir, 'main.tf'), 'resource "terraform_data" "slow" {\n  provisioner "local-exec" {\n    command = "sleep 30"\n  }\n}\n')
    tf(dir, 'init', '-input=false', '-no-color')
    const payload = planOf(dir)
    const connector = createConnector(target(dir))
    const controller = new AbortController()
    const request = testRequest(target(dir), payload, controller.signal, null, testContext())
    const running = connector.execute(request)
    // Abort once the provisioner runs: its marker is Terraform's own output line.
    for (let i = 0; i < 600 && !existsSync(join(dir, '.terraform.tfstate.lock.info')); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    controller.abort(new Error('the gateway is shutting down'))
    const result = await running
    await connector.close()
    assert.equal(result.status, 'failed')
    assert.match(result.error ?? '', /stopped: the gateway is shutting down/)
  })
})
