import { dirname, join, resolve } from 'node:path'
import type { Calendars } from '../policy/index.js'
import type { AgentConfig, Config, TargetConfig } from './config-types.js'
import { directoryOf } from './directory.js'
import { loadConfig } from './load-config.js'

/** Targets and agents by name, as a policy sees them. */
export interface PolicyContext {
  /** The config file read; `undefined` when there was none. */
  readonly source: string | undefined
  readonly targets: ReadonlyMap<string, Pick<TargetConfig, 'name' | 'kind' | 'labels' | 'dialect'>>
  readonly agents: ReadonlyMap<string, Pick<AgentConfig, 'id' | 'owner' | 'labels'>>
  /** The humans the config names, with their merged groups (for `policy check`'s approver warnings); absent without a config. */
  readonly humans?: readonly { readonly email: string; readonly groups: readonly string[] }[]
  /** The config's `calendars`, which conditions read as `calendar.NAME`. */
  readonly calendars?: Calendars | undefined
}

/** A context with no targets or agents: every target is empty (no labels). */
export const EMPTY_POLICY_CONTEXT: PolicyContext = Object.freeze({ source: undefined, targets: new Map(), agents: new Map() })

/**
 * Reads the targets and agents of a config file, for the policy tools (`policy test`, `policy explain`)
 * that need labels and owners without starting a gateway. The whole config is validated, as the
 * gateway would: a config the tools accept is one the gateway starts with.
 */
export function readPolicyContext(file: string): PolicyContext {
  // The tools are given the policy to check, so a config that leaves `policy` to its conventional
  // place beside it is fine here.
  const config = loadConfig(file, { defaultPolicy: join(dirname(resolve(file)), 'policy.yaml') })
  return {
    source: file,
    targets: new Map(config.targets.map((target) => [target.name, target])),
    agents: new Map(config.identities.agents.map((agent) => [agent.id, agent])),
    humans: knownHumans(config),
    calendars: config.calendars,
  }
}

/** Every human the config names anywhere (humans, groups, admins, auditors), with their merged groups. */
function knownHumans(config: Config): readonly { readonly email: string; readonly groups: readonly string[] }[] {
  const { identities } = config
  const emails = new Set([...identities.humans.map((human) => human.email), ...Object.values(identities.groups).flat(), ...identities.admins, ...identities.auditors])
  const directory = directoryOf(config)
  return [...emails].flatMap((email) => {
    const human = directory.human(email)
    return human ? [{ email: human.email, groups: human.groups }] : []
  })
}
