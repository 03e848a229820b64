import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { ActionSchema } from '../action/index.js'
import { configFromObject, type TargetConfig } from '../config/index.js'
import type { ExecutionRequest } from './connector.js'

/**
 * A target as the config loader makes it from `connector` written as in countersign.yaml
 * (credential-like strings become secret references).
 */
export function testTarget(kind: string, connector: Record<string, unknown>, name = 'test-target'): TargetConfig {
  return configFromObject({ policy: 'policy.yaml', targets: [{ name, kind, connector }] }, { baseDir: '/tmp' }).targets[0]!
}

/** A request to run `payload` on `target`, as the executor makes it. */
export function testRequest(target: TargetConfig, payload: Record<string, unknown>, signal: AbortSignal = new AbortController().signal, facts: Record<string, unknown> | null = null): ExecutionRequest {
  const action = ActionSchema.parse({ kind: target.kind, target: target.name, payload })
  return { actionId: `act_${randomBytes(6).toString('hex')}`, action, target, facts, signal }
}

/** A fresh environment variable holding `value`, for `env:` references; returns its name. */
export function testSecret(value: string): string {
  const name = `CS_TEST_SECRET_${randomBytes(6).toString('hex').toUpperCase()}`
  process.env[name] = value
  return name
}

/** Fails when `secret` (or its URL-encoded form) appears anywhere in the JSON of `value` or in an error's message and stack. */
export function assertNoSecret(value: unknown, secret: string): void {
  const text = value instanceof Error ? `${value.message}\n${value.stack}\n${JSON.stringify(value)}` : JSON.stringify(value)
  for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
    assert.ok(!text.includes(form), `the secret appears in ${text.slice(0, 500)}`)
  }
}
