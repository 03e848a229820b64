import type { Config, Directory } from '../config/index.js'
import { eligibleRequirements, isConflicted, type Human } from '../lifecycle/index.js'
import type { ReviewRequirement } from '../policy/index.js'

/** Every human the config names (in `humans`, a group, `admins` or `auditors`), with merged groups and roles. */
export function configuredHumans(config: Config, directory: Directory): readonly Human[] {
  const { identities } = config
  const emails = new Set([...identities.humans.map((human) => human.email), ...Object.values(identities.groups).flat(), ...identities.admins, ...identities.auditors])
  return [...emails].flatMap((email) => directory.human(email) ?? []).sort((a, b) => a.email.localeCompare(b.email))
}

/**
 * The canonical emails of the humans worth asking directly: eligible for at least one
 * requirement that names its approvers, and none of the action's requesters (they could not
 * review it anyway). A requirement any human may meet asks nobody directly: that would be everyone.
 */
export function approversToAsk(humans: readonly Human[], requirements: readonly ReviewRequirement[], conflicted: readonly string[]): readonly string[] {
  const named = requirements.filter((requirement) => requirement.approvers.length > 0)
  return humans.filter((human) => !isConflicted(human.email, conflicted) && eligibleRequirements(human, named).length > 0).map((human) => human.email)
}
