import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ActionSchema } from '../action/index.js'
import { configFromObject, type TargetConfig } from '../config/index.js'
import type { ExecutionRequest } from './connector.js'
import type { ExecutionContext } from './execution-context.js'

/**
 * A target as the config loader makes it from `connector` written as in countersign.yaml
 * (credential-like strings become secret references).
 */
export function testTarget(kind: string, connector: Record<string, unknown>, name = 'test-target'): TargetConfig {
  return configFromObject({ policy: 'policy.yaml', targets: [{ name, kind, connector }] }, { baseDir: '/tmp' }).targets[0]!
}

/** A request to run `payload` on `target`, as the executor makes it (with {@link testContext} unless `context` is given). */
export function testRequest(
  target: TargetConfig,
  payload: Record<string, unknown>,
  signal: AbortSignal = new AbortController().signal,
  facts: Record<string, unknown> | null = null,
  context?: ExecutionContext,
): ExecutionRequest {
  const action = ActionSchema.parse({ kind: target.kind, target: target.name, payload })
  const actionId = `act_${randomBytes(6).toString('hex')}`
  return { actionId, action, target, facts, context: context ?? testContext({ request_id: actionId }), signal }
}

/** An execution context as the executor builds it for an approved action; `overrides` replace fields. */
export function testContext(overrides: Partial<ExecutionContext> = {}): ExecutionContext {
  return {
    request_id: `act_${randomBytes(6).toString('hex')}`,
    digest: randomBytes(32).toString('hex'),
    agent: 'deploy-bot',
    agent_owner: 'owner@example.com',
    on_behalf_of: 'dev@example.com',
    submitter: 'agent:deploy-bot',
    approvers: [
      { email: 'alice@example.com', channel: 'api', at: '2026-01-01T00:00:00.000Z' },
      { email: 'bob@example.com', channel: 'slack', at: '2026-01-01T00:01:00.000Z' },
    ],
    matched_rules: ['prod-writes-need-review'],
    policy_version: 'v-test',
    trace_id: randomBytes(16).toString('hex'),
    ...overrides,
  }
}

/** A fresh environment variable holding `value`, for `env:` references; returns its name. */
export function testSecret(value: string): string {
  const name = `CS_TEST_SECRET_${randomBytes(6).toString('hex').toUpperCase()}`
  process.env[name] = value
  return name
}

/**
 * Every form a result may not show a secret in: as written, URL-, `%xx`-, JSON- and `\u`-escaped,
 * hex (plain and `\x`), base64 and base64url at each of the three offsets in a longer stream
 * (only the characters that depend on the secret alone). Compared without regard to case.
 */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const hex = bytes.toString('hex')
  const forms = [
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    secret.split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    hex,
    hex.replace(/../g, '%$&'),
    hex.replace(/../g, '\\x$&'),
  ]
  for (const offset of [0, 1, 2]) {
    const base64 = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    const inner = base64.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6))
    forms.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return [...new Set(forms)]
}

/**
 * Fails when `secret`, in any of its {@link secretForms} and any letter case, appears anywhere in
 * the JSON of `value` or in an error's message and stack; with `piece`, also any piece of it
 * that long as written (a secret printed in parts).
 */
export function assertNoSecret(value: unknown, secret: string, { piece }: { readonly piece?: number } = {}): void {
  const raw = value instanceof Error ? `${value.message}\n${value.stack}\n${JSON.stringify(value)}` : JSON.stringify(value)
  const text = (raw ?? '').toLowerCase()
  for (const form of secretForms(secret)) {
    assert.ok(!text.includes(form.toLowerCase()), `the secret appears (as ${form}) in ${raw?.slice(0, 500)}`)
  }
  if (piece !== undefined) {
    for (let at = 0; at + piece <= secret.length; at++) {
      const part = secret.slice(at, at + piece).toLowerCase()
      assert.ok(!text.includes(part), `a piece of the secret (${part}) appears in ${raw?.slice(0, 500)}`)
    }
  }
}
