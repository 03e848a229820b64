import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { z } from 'zod'
import { CountersignError } from '../errors/index.js'

const Labels = z.record(z.string(), z.string()).default({})

/** The parts of `countersign.yaml` a policy reads: targets (with labels) and agents (with owners). */
const PolicyContextSchema = z.looseObject({
  targets: z.array(z.looseObject({ name: z.string().min(1), kind: z.string().default(''), labels: Labels })).default([]),
  identities: z
    .looseObject({ agents: z.array(z.looseObject({ id: z.string().min(1), owner: z.string().default(''), labels: Labels })).default([]) })
    .default({ agents: [] }),
})

/** Targets and agents by name, as a policy sees them. */
export interface PolicyContext {
  /** The config file read; `undefined` when there was none. */
  readonly source: string | undefined
  readonly targets: ReadonlyMap<string, { readonly name: string; readonly kind: string; readonly labels: Readonly<Record<string, string>> }>
  readonly agents: ReadonlyMap<string, { readonly id: string; readonly owner: string; readonly labels: Readonly<Record<string, string>> }>
}

/** A context with no targets or agents: every target is empty (no labels). */
export const EMPTY_POLICY_CONTEXT: PolicyContext = { source: undefined, targets: new Map(), agents: new Map() }

/**
 * Reads the targets and agents of a config file, for the policy tools (`policy test`, `policy explain`)
 * that need labels and owners without starting a gateway.
 */
export function readPolicyContext(file: string): PolicyContext {
  let raw: unknown
  try {
    raw = parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new CountersignError('INVALID', `cannot read config ${file}: ${(error as Error).message.split('\n')[0]}`)
  }
  const parsed = PolicyContextSchema.safeParse(raw ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new CountersignError('INVALID', `${file}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
  }
  return {
    source: file,
    targets: new Map(parsed.data.targets.map((target) => [target.name, { name: target.name, kind: target.kind, labels: target.labels }])),
    agents: new Map(parsed.data.identities.agents.map((agent) => [agent.id, { id: agent.id, owner: agent.owner.toLowerCase(), labels: agent.labels }])),
  }
}
