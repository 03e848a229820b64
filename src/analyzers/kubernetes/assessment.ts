import { isClusterScoped, kindOfResource } from './resources.js'

/** Highlight ranks: lower is more serious. */
export const RANK = { parse: 0, escalation: 1, privileged: 2, destructive: 3, secrets: 4, access: 5, note: 6 } as const
type Rank = (typeof RANK)[keyof typeof RANK]

/** One object or collection the action touches. */
export interface Target {
  readonly resource: string
  readonly kind: string
  /** `""` for a collection (`kubectl get pods`). */
  readonly name: string
  readonly namespace: string
  readonly apiVersion: string
  readonly clusterScoped: boolean
  /** Named by a manifest or request body (labelled `Kind name`) rather than a kubectl line (`resource/name`). */
  readonly fromManifest: boolean
}

/** What a target is given as; the rest is derived. */
export interface TargetInput {
  readonly resource: string
  readonly name?: string
  /** The object's own namespace, if it names one; otherwise the command's applies. */
  readonly namespace?: string
  readonly kind?: string
  readonly apiVersion?: string
  readonly fromManifest?: boolean
}

/**
 * What the front ends (kubectl line, API request, manifest) find, gathered before it becomes
 * facts. Flags only ever go from false to true, so a later step cannot clear an earlier finding.
 */
export class Assessment {
  verb = ''
  readonly verbs: string[] = []
  readonly targets: Target[] = []
  /** The command-level namespace (`-n`), `""` when not given. */
  namespace = ''
  allNamespaces = false
  dryRun = false
  privileged = false
  rbacEscalation = false
  secretsAccess = false
  interactiveAccess = false
  destructive = false
  parseError = ''
  /** The summary's verb phrase: `delete`, `rollout restart`, `exec into`. */
  action = ''
  /** Replaces the summary's target phrase (`a pod of deployments/api`). */
  subject = ''
  /** Replaces the whole summary line, for commands whose targets do not describe them (`cluster-info`). */
  summaryLine = ''
  /** Appended to the summary (` to 0 replicas`). */
  detail = ''
  /** The label selector choosing a collection's members (`app=web`), `""` when none. */
  selector = ''
  /** The secrets each written object hands to its containers (`secret/NAME`), by target; absent when none. */
  readonly secretRefs = new Map<Target, readonly string[]>()
  readonly findings: { readonly rank: Rank; readonly text: string }[] = []
  private readonly noted = new Set<string>()

  /** Sets the main verb (the first one set wins) and records it among the verbs. */
  useVerb(verb: string): void {
    if (this.verb === '') this.verb = verb
    this.addVerbs(verb)
  }

  addVerbs(...verbs: readonly string[]): void {
    for (const verb of verbs) if (verb !== '' && !this.verbs.includes(verb)) this.verbs.push(verb)
  }

  /** Records a target; a namespaced one without its own namespace takes the command's. */
  addTarget(input: TargetInput): Target {
    const clusterScoped = isClusterScoped(input.resource)
    const target: Target = {
      resource: input.resource,
      kind: input.kind ?? kindOfResource(input.resource),
      name: input.name ?? '',
      namespace: clusterScoped ? '' : input.namespace || this.namespace,
      apiVersion: input.apiVersion ?? '',
      clusterScoped,
      fromManifest: input.fromManifest ?? false,
    }
    this.targets.push(target)
    return target
  }

  note(rank: Rank, text: string): void {
    if (this.noted.has(text)) return
    this.noted.add(text)
    this.findings.push({ rank, text })
  }

  flagPrivileged(text: string): void {
    this.privileged = true
    this.note(RANK.privileged, text)
  }

  flagEscalation(text: string): void {
    this.rbacEscalation = true
    this.note(RANK.escalation, text)
  }

  flagSecrets(text: string): void {
    this.secretsAccess = true
    this.note(RANK.secrets, text)
  }

  flagDestructive(text: string): void {
    this.destructive = true
    this.note(RANK.destructive, text)
  }

  flagInteractive(text: string): void {
    this.interactiveAccess = true
    this.note(RANK.access, text)
  }

  /** Records why the action cannot be analyzed; the first reason is kept. */
  fail(reason: string): void {
    if (this.parseError === '') this.parseError = reason
  }
}
