import type { Assessment } from './assessment.js'
import { maskCredentials } from './exec-command.js'
import { type KubectlArgs, flagList, flagOn, flagValue } from './kubectl-args.js'

/** Flags choosing where kubectl connects: the kubeconfig's credentials go there. */
const DESTINATION_FLAGS = ['server', 'kubeconfig', 'cluster', 'certificate-authority', 'tls-server-name'] as const
/** Flags choosing as whom kubectl acts, instead of the target's identity. */
const IDENTITY_FLAGS = ['context', 'user', 'token', 'username', 'password', 'client-certificate', 'client-key'] as const
/** Flags whose values are credentials, never shown. */
const CREDENTIAL_VALUES: ReadonlySet<string> = new Set(['token', 'username', 'password'])
/** Flags naming files kubectl reads on the machine it runs on (the gateway's, when brokered). */
const READS_FILES = ['from-file', 'from-env-file', 'cert', 'key', 'patch-file', 'custom', 'kubeconfig', 'certificate-authority', 'client-certificate', 'client-key'] as const
/** Flags naming files or directories kubectl writes on that machine. */
const WRITES_FILES = ['output-directory', 'profile-output', 'cache-dir'] as const
/** Commands where `--user` names an RBAC subject, not a kubeconfig user. */
const SUBJECT_USER: ReadonlySet<string> = new Set(['create rolebinding', 'create clusterrolebinding', 'set subject'])

/**
 * Reads the flags any kubectl command takes: namespace, dry run, impersonation, the cluster and
 * identity it connects with, and local files it reads or writes. kubectl runs on the gateway when
 * brokered, so choosing another server sends the gateway's credentials there, and local files
 * are the gateway's.
 */
export function applyGlobalFlags(a: Assessment, k: KubectlArgs): void {
  const namespace = flagValue(k, 'namespace')
  if (namespace !== undefined) a.namespace = namespace
  if (flagOn(k, 'all-namespaces')) a.allNamespaces = true
  const dryRun = flagValue(k, 'dry-run')
  if (dryRun !== undefined && dryRun !== 'none' && dryRun !== 'false') a.dryRun = true
  const kuberc = flagValue(k, 'kuberc')
  if (kuberc !== undefined && kuberc !== 'off') a.fail('--kuberc can redefine commands and defaults')

  const as = flagValue(k, 'as')
  const groups = flagList(k, 'as-group')
  if (as !== undefined || groups.length > 0 || k.flags.has('as-uid')) {
    const whom = [...(as === undefined ? [] : [`user ${as}`]), ...groups.map((group) => `group ${group}`)]
    a.flagEscalation(`impersonates ${whom.join(', ') || 'another identity'} (--as)`)
  }
  const shown = (flag: string): string => (CREDENTIAL_VALUES.has(flag) ? `--${flag}` : `--${flag} ${maskCredentials(flagValue(k, flag) ?? '')}`.trim())
  const identity = IDENTITY_FLAGS.filter((flag) => k.flags.has(flag) && !(flag === 'user' && SUBJECT_USER.has(k.command.join(' '))))
  if (identity.length > 0) a.flagEscalation(`acts as an identity of its choosing, not the target's (${identity.map(shown).join(', ')})`)
  const destination = DESTINATION_FLAGS.filter((flag) => k.flags.has(flag))
  if (destination.length > 0) a.flagSecrets(`connects where it chooses, sending credentials there (${destination.map(shown).join(', ')})`)
  if (flagOn(k, 'insecure-skip-tls-verify')) a.flagSecrets("skips verifying the API server's certificate (--insecure-skip-tls-verify)")

  for (const flag of READS_FILES) {
    for (const value of k.flags.get(flag) ?? []) a.flagSecrets(`reads local file ${value} on the machine running kubectl (--${flag})`)
  }
  const output = flagValue(k, 'output') ?? ''
  if (/file/.test(output)) a.flagSecrets(`reads local file ${output.split('=').slice(1).join('=') || flagValue(k, 'template') || ''} on the machine running kubectl (-o ${output.split('=')[0] ?? ''})`)
  for (const flag of WRITES_FILES) {
    for (const value of k.flags.get(flag) ?? []) a.flagDestructive(`writes local files at ${value} on the machine running kubectl (--${flag})`)
  }
  if (k.command[0] === 'kustomize') a.flagSecrets(`renders local files ${k.args[0] ?? '.'} on the machine running kubectl`)
}
