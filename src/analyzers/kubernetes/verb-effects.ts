import type { Assessment, Target } from './assessment.js'
import { isSecretResource } from './resources.js'

const READS: ReadonlySet<string> = new Set(['get', 'list', 'watch'])
const DELETES: ReadonlySet<string> = new Set(['delete', 'deletecollection'])

/**
 * Flags what the action's verbs do to its targets, whatever front end found them: any verb on
 * secrets, and deletions (a namespace takes everything in it along).
 */
export function flagVerbEffects(a: Assessment): void {
  const verbs = a.verbs
  const deletes = verbs.some((verb) => DELETES.has(verb))
  for (const target of a.targets) {
    const secret = isSecretResource(target.resource) && verbs.length > 0
    if (secret) {
      const word = deletes ? 'deletes' : verbs.every((verb) => READS.has(verb)) ? 'reads' : 'writes'
      a.flagSecrets(`${word} ${label(target, target.resource === 'secrets' ? 'secret' : target.resource)}${where(a, target)}`)
    }
    if (deletes) {
      if (secret && target.name !== '') a.destructive = true // the secrets highlight says it
      else if (target.resource === 'namespaces') {
        a.flagDestructive(target.name === '' ? 'deletes namespaces and everything in them' : `deletes namespace ${target.name} and everything in it`)
      } else if (target.name === '') {
        const which = a.selector === '' ? `all ${target.resource}` : `${target.resource} matching ${a.selector}`
        a.flagDestructive(`deletes ${which}${where(a, target)}`)
      }
      else a.flagDestructive(`deletes ${target.resource}/${target.name}${where(a, target)}`)
    }
  }
}

function label(target: Target, singular: string): string {
  return target.name === '' ? target.resource : `${singular} ${target.name}`
}

/** ` in prod`, ` in all namespaces`, or nothing for cluster-scoped and unspecified. */
export function where(a: Assessment, target: Target): string {
  if (target.clusterScoped) return ''
  if (a.allNamespaces) return ' in all namespaces'
  return target.namespace === '' ? '' : ` in ${target.namespace}`
}
