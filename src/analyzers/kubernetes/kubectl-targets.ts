import type { Assessment, Target } from './assessment.js'
import { type KubectlArgs, flagValue } from './kubectl-args.js'
import { parseManifest } from './manifest.js'
import type { WrittenObject } from './object-review.js'
import { ALL_CATEGORY, resolveResource, resourceOfKind } from './resources.js'

/** What a kubectl handler needs besides its arguments. */
export interface KubectlContext {
  /** The manifest attached to the payload: what kubectl reads from stdin (`-f -`). */
  readonly manifest: string | undefined
  /** Set once something reads the manifest; an unread manifest is pointed out. */
  manifestRead: boolean
}

/**
 * Adds the objects named by resource arguments: `TYPE NAME…`, `TYPE/NAME…`, `TYPE1,TYPE2`
 * (`all` expands to its category). A type without names is a collection. Returns the targets,
 * or `null` after failing the assessment when kubectl would refuse them.
 */
export function addResourceArgs(a: Assessment, args: readonly string[]): Target[] | null {
  const first = args[0]
  if (first === undefined) return []
  const targets: Target[] = []
  if (first.includes('/')) {
    for (const arg of args) {
      const slash = arg.indexOf('/')
      if (slash <= 0 || slash === arg.length - 1) {
        a.fail('resources must all be written TYPE/NAME when one is')
        return null
      }
      const { resource, kind } = resolveResource(arg.slice(0, slash))
      targets.push(a.addTarget({ resource, kind, name: arg.slice(slash + 1) }))
    }
    return targets
  }
  const types = first.split(',').filter((type) => type !== '')
  const resources = types.flatMap((type) => (type.toLowerCase() === 'all' ? ALL_CATEGORY.map((resource) => resolveResource(resource)) : [resolveResource(type)]))
  const names = args.slice(1)
  for (const { resource, kind } of resources) {
    if (names.length === 0) targets.push(a.addTarget({ resource, kind }))
    for (const name of names) targets.push(a.addTarget({ resource, kind, name }))
  }
  return targets
}

/** One target named as kubectl's `POD` or `TYPE/NAME` argument of exec, logs, port-forward… */
export interface PodRef {
  /** `pod web-1` or `a pod of deployments/api`. */
  readonly label: string
  readonly target: Target
}

/** Adds the pod an `exec`/`attach`/`logs`/`port-forward` argument reaches: the pod itself, or one chosen from a workload or service. */
export function addPodRef(a: Assessment, arg: string): PodRef {
  const slash = arg.indexOf('/')
  if (slash > 0) {
    const { resource, kind } = resolveResource(arg.slice(0, slash))
    const name = arg.slice(slash + 1)
    if (resource === 'pods') return { label: `pod ${name}`, target: a.addTarget({ resource, kind, name }) }
    return { label: `a pod of ${resource}/${name}`, target: a.addTarget({ resource: 'pods' }) }
  }
  return { label: `pod ${arg}`, target: a.addTarget({ resource: 'pods', name: arg }) }
}

/** What `-f`/`-k` name: objects of the attached manifest (`-f -`), and sources whose content is not shown. */
export interface FileObjects {
  readonly objects: readonly WrittenObject[]
  /** `deploy.yaml`, `https://…/x.yaml`, `kustomization ./overlays/prod`. */
  readonly unseen: readonly string[]
  /** Whether the line names any file or kustomization at all. */
  readonly any: boolean
}

/**
 * Reads `-f`/`--filename` and `-k`/`--kustomize`. Only `-f -` is the attached manifest: a file
 * path or URL is read by kubectl wherever it runs, so its content is not what the approver saw.
 * Returns `null` after failing the assessment when the manifest is not valid.
 */
export function fileObjects(a: Assessment, k: KubectlArgs, ctx: KubectlContext): FileObjects | null {
  const files = k.flags.get('filename') ?? []
  const kustomize = flagValue(k, 'kustomize')
  const objects: WrittenObject[] = []
  const unseen: string[] = []
  for (const file of files) {
    if (file !== '-') unseen.push(file)
    else if (ctx.manifest === undefined) unseen.push('stdin (no manifest attached)')
    else if (!ctx.manifestRead) {
      ctx.manifestRead = true
      const parsed = parseManifest(ctx.manifest)
      if ('error' in parsed) {
        a.fail(parsed.error)
        return null
      }
      if (parsed.objects.length === 0) {
        a.fail('the manifest holds no objects')
        return null
      }
      for (const object of parsed.objects) {
        const target = a.addTarget({
          resource: resourceOfKind(object.kind),
          kind: object.kind,
          name: object.name,
          namespace: object.namespace,
          apiVersion: object.apiVersion,
          fromManifest: true,
        })
        objects.push({ target, body: object.body, partial: false })
      }
    }
  }
  if (kustomize !== undefined) unseen.push(`kustomization ${kustomize}`)
  if (unseen.length > 0 && objects.length === 0 && a.subject === '') a.subject = `the objects in ${unseen.join(', ')}`
  return { objects, unseen, any: files.length > 0 || kustomize !== undefined }
}
