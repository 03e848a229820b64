import { canonicalEmail } from '../lifecycle/reviewers.js'
import type { AgentConfig, Config, TargetConfig } from './config-types.js'

/** A human as the config knows them: groups merged from every place that names them. */
export interface KnownHuman {
  readonly type: 'human'
  /** Lower-cased email: the canonical identity. */
  readonly email: string
  readonly name?: string
  /** `humans[].groups` ∪ the `identities.groups` that list the email, sorted. */
  readonly groups: readonly string[]
  readonly admin: boolean
  readonly auditor: boolean
}

/** Whose token a hash is. */
export type TokenSubject = { readonly type: 'agent'; readonly id: string } | { readonly type: 'human'; readonly email: string }

/** Lookups over a loaded config, built once per config. */
export interface Directory {
  /**
   * The human with this email (compared by `canonicalEmail`: any case, width or blank), if the config names them anywhere: in `humans`,
   * a group, `admins` or `auditors`. Humans known only through OIDC or a chat platform are
   * `undefined` here; their claims are the caller's to merge.
   */
  human(email: string): KnownHuman | undefined
  /** The agent with exactly this id. */
  agent(id: string): AgentConfig | undefined
  /** The target with exactly this name. */
  target(name: string): TargetConfig | undefined
  /** Who holds the token whose SHA-256 (hex, any case) this is. */
  tokenSubject(sha256: string): TokenSubject | undefined
}

const directories = new WeakMap<Config, Directory>()

/**
 * The lookups of a config: humans by canonical email (with merged groups and roles), agents by
 * id, targets by name, token hashes to their holder. Built on first use and kept with the config.
 *
 * @example
 * const holder = directoryOf(config).tokenSubject(sha256Hex(bearer))
 */
export function directoryOf(config: Config): Directory {
  let directory = directories.get(config)
  if (!directory) {
    directory = buildDirectory(config)
    directories.set(config, directory)
  }
  return directory
}

function buildDirectory(config: Config): Directory {
  const { identities } = config
  const names = new Map<string, string>()
  const groups = new Map<string, Set<string>>()
  const groupsOf = (email: string): Set<string> => {
    let set = groups.get(email)
    if (!set) groups.set(email, (set = new Set()))
    return set
  }
  for (const human of identities.humans) {
    if (human.name !== undefined) names.set(human.email, human.name)
    for (const group of human.groups) groupsOf(human.email).add(group)
  }
  for (const [group, emails] of Object.entries(identities.groups)) for (const email of emails) groupsOf(email).add(group)
  const admins = new Set(identities.admins)
  const auditors = new Set(identities.auditors)
  for (const email of [...admins, ...auditors]) groupsOf(email)

  const humans = new Map<string, KnownHuman>()
  for (const [email, set] of groups) {
    const name = names.get(email)
    humans.set(
      email,
      Object.freeze({
        type: 'human' as const,
        email,
        ...(name === undefined ? {} : { name }),
        groups: Object.freeze([...set].sort()),
        admin: admins.has(email),
        auditor: auditors.has(email),
      }),
    )
  }

  const tokens = new Map<string, TokenSubject>()
  for (const human of identities.humans) for (const hash of human.token_sha256) tokens.set(hash, Object.freeze({ type: 'human', email: human.email }))
  for (const agent of identities.agents) for (const hash of agent.token_sha256) tokens.set(hash, Object.freeze({ type: 'agent', id: agent.id }))

  const agents = new Map(identities.agents.map((agent) => [agent.id, agent]))
  const targets = new Map(config.targets.map((target) => [target.name, target]))
  return Object.freeze({
    human: (email: string) => humans.get(canonicalEmail(email)),
    agent: (id: string) => agents.get(id),
    target: (name: string) => targets.get(name),
    tokenSubject: (sha256: string) => tokens.get(sha256.toLowerCase()),
  })
}
