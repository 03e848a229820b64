import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { resolveSecret, type Config, type SecretRef } from '../config/index.js'
import { isSecretRef } from './options.js'

/**
 * What the gateway itself holds that no command may read and no result may show: the value of
 * every secret its configuration references (any target's, channel's, identity provider's, the
 * audit key…), and the places those live on its host.
 */
export interface GatewaySecrets {
  /** The secret values, read now (a rotated secret is masked by its current value); one that cannot be read is left out. */
  values(): string[]
  /** Files and directories a sandboxed command must not see: the data directory, the config file and its directory (below the top level), every `file:` secret, key files. */
  readonly paths: readonly string[]
}

/** A gateway that holds nothing (tests, `policy` commands). */
export const NO_GATEWAY_SECRETS: GatewaySecrets = Object.freeze({ values: () => [], paths: Object.freeze([]) })

/**
 * The secrets of a configuration: every secret reference anywhere in it (walked, so a section
 * added later is covered without a change here), plus `keyFiles` the gateway keeps itself (the
 * audit key it generated in the data directory).
 *
 * @example
 * const connectors = new ConnectorSet(gatewaySecretsOf(config, [join(dataDir, GENERATED_KEY_FILE)]))
 */
export function gatewaySecretsOf(config: Config, keyFiles: readonly string[] = []): GatewaySecrets {
  const refs: SecretRef[] = []
  collectRefs(config, refs, new Set())
  const paths = new Set<string>(keyFiles)
  for (const ref of refs) if (ref.kind === 'file') paths.add(ref.path)
  if (config.store.kind === 'embedded') paths.add(config.store.data_dir)
  if (config.file !== undefined) {
    const file = resolve(config.file)
    // Its directory, unless that is a system one (/etc, /srv…): hiding it would break every command; the file and its secrets are hidden one by one then.
    paths.add(file)
    if (dirname(file).split('/').filter(Boolean).length >= 2) paths.add(dirname(file))
  }
  return Object.freeze({
    values(): string[] {
      const values: string[] = []
      for (const ref of refs) {
        try {
          values.push(resolveSecret(ref))
        } catch {
          // Not readable now: then no command can have printed it through us either.
        }
      }
      for (const file of keyFiles) {
        try {
          values.push(readFileSync(file, 'utf8').trim())
        } catch {
          // Not generated (yet).
        }
      }
      return values.filter((value) => value !== '')
    },
    paths: Object.freeze([...paths]),
  })
}

function collectRefs(value: unknown, into: SecretRef[], seen: Set<object>): void {
  if (!value || typeof value !== 'object' || seen.has(value)) return
  seen.add(value)
  if (isSecretRef(value)) {
    into.push(value)
    return
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectRefs(item, into, seen)
}
