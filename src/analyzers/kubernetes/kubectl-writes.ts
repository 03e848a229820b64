import { analyzeRequest } from './api-request.js'
import { type Assessment, RANK } from './assessment.js'
import { type KubectlArgs, flagOn, flagValue } from './kubectl-args.js'
import { type FileObjects, type KubectlContext, addResourceArgs, fileObjects } from './kubectl-targets.js'
import { reviewWrites, unseenWrite } from './object-review.js'
import { readPatch } from './patch-body.js'
import { mayCarryPrivilege } from './resources.js'
import { flagVerbEffects } from './verb-effects.js'

/**
 * Handles the commands that write objects from a manifest or patch: apply, create -f, replace,
 * delete, edit, patch, diff, auth reconcile. Returns false for others.
 *
 * `apply` is recorded as verb `patch`: the server receives a patch of the live object (client-side
 * apply creates missing objects first, server-side apply creates them through the patch).
 */
export function handleWriteCommand(a: Assessment, k: KubectlArgs, ctx: KubectlContext): boolean {
  const [command = '', sub = ''] = k.command
  switch (command) {
    case 'apply':
      if (sub === '') apply(a, k, ctx)
      else applySubcommand(a, k, ctx, sub)
      return true
    case 'create':
      createFromFiles(a, k, ctx)
      return true
    case 'replace':
      replace(a, k, ctx)
      return true
    case 'delete':
      remove(a, k, ctx)
      return true
    case 'edit':
      edit(a, k, ctx)
      return true
    case 'patch':
      patch(a, k, ctx)
      return true
    case 'diff': {
      // Diff asks the server for a dry-run patch: nothing is written.
      a.useVerb('get')
      a.action = 'diff'
      a.dryRun = true
      const files = fileObjects(a, k, ctx)
      if (files !== null && files.unseen.length > 0) a.flagSecrets(`reads the objects named in ${files.unseen.join(', ')}, which are not shown`)
      if (flagOn(k, 'show-secret')) a.flagSecrets('shows secret values in the diff (--show-secret)')
      flagVerbEffects(a)
      return true
    }
    case 'auth':
      if (sub !== 'reconcile') return false
      a.useVerb('update')
      a.addVerbs('create')
      a.action = 'auth reconcile'
      if (flagOn(k, 'remove-extra-permissions') || flagOn(k, 'remove-extra-subjects')) a.addVerbs('delete')
      // Reconcile exists to write RBAC; whatever it holds, it changes who can do what.
      a.flagEscalation('reconciles RBAC roles and bindings (auth reconcile)')
      writeFiles(a, k, ctx, 'reconciles')
      return true
    default:
      return false
  }
}

function apply(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  a.useVerb('patch')
  a.action = 'apply'
  const files = writeFiles(a, k, ctx, 'applies')
  if (files === null) return
  if (!files.any) return a.fail('apply needs -f or -k')
  if (flagOn(k, 'prune')) {
    a.addVerbs('delete')
    a.flagDestructive('deletes objects missing from the manifest (--prune)')
  }
  if (flagOn(k, 'force')) {
    a.addVerbs('delete', 'create')
    a.flagDestructive('deletes and re-creates objects it cannot patch (--force)')
  }
}

function applySubcommand(a: Assessment, k: KubectlArgs, ctx: KubectlContext, sub: string): void {
  a.action = `apply ${sub}`
  if (sub === 'view-last-applied') a.useVerb('get')
  else a.useVerb('patch')
  if (addResourceArgs(a, k.args) === null) return
  // set-last-applied only writes an annotation from the file; what it holds is not applied.
  if (fileObjects(a, k, ctx) === null) return
  if (sub === 'edit-last-applied') for (const target of [...a.targets]) unseenWrite(a, target.resource, `edits ${target.resource}/${target.name} in an editor`)
  flagVerbEffects(a)
}

function createFromFiles(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  const raw = flagValue(k, 'raw')
  if (raw !== undefined) return rawWrite(a, k, ctx, 'POST', raw)
  a.useVerb('create')
  a.action = 'create'
  const files = writeFiles(a, k, ctx, 'creates')
  if (files === null) return
  if (!files.any) return a.fail('create needs -f, -k or a subcommand')
  // --edit opens the objects in an editor first: what is created is not what was shown.
  if (flagOn(k, 'edit')) for (const { target } of files.objects) unseenWrite(a, target.resource, `edits ${target.kind} ${target.name} before creating it`)
}

function replace(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  const raw = flagValue(k, 'raw')
  if (raw !== undefined) return rawWrite(a, k, ctx, 'PUT', raw)
  a.useVerb('update')
  a.action = 'replace'
  if (flagOn(k, 'force')) {
    a.addVerbs('delete', 'create')
    a.flagDestructive('deletes and re-creates the objects (replace --force)')
  }
  const files = writeFiles(a, k, ctx, 'replaces')
  if (files !== null && !files.any) a.fail('replace needs -f or -k')
}

function remove(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  const raw = flagValue(k, 'raw')
  if (raw !== undefined) return analyzeRequest(a, { method: 'DELETE', path: raw })
  a.action = 'delete'
  const targets = addResourceArgs(a, k.args)
  if (targets === null) return
  const files = fileObjects(a, k, ctx)
  if (files === null) return
  const selects = flagOn(k, 'all') || k.flags.has('selector') || k.flags.has('field-selector')
  if (targets.length === 0 && !files.any) return a.fail('delete needs a resource type, -f or -k')
  if (targets.some((t) => t.name === '') && !selects) return a.fail('delete needs names, --all or a selector')
  a.useVerb(selects ? 'deletecollection' : 'delete')
  a.selector = flagValue(k, 'selector') ?? ''
  for (const file of files.unseen) {
    a.secretsAccess = true
    a.flagDestructive(`deletes the objects named in ${file}, which are not shown: treated as reading secrets`)
  }
  flagVerbEffects(a)
  const gracePeriod = flagValue(k, 'grace-period')
  if (flagOn(k, 'force') || flagOn(k, 'now') || gracePeriod === '0') a.note(RANK.destructive, 'skips graceful shutdown (--force/--grace-period=0)')
}

function edit(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  a.useVerb('patch')
  a.addVerbs('get')
  a.action = 'edit'
  if (addResourceArgs(a, k.args) === null) return
  const files = fileObjects(a, k, ctx)
  if (files === null) return
  if (a.targets.length === 0 && files.unseen.length === 0) return a.fail('edit needs a resource')
  for (const file of files.unseen) unseenWrite(a, '', `edits the objects named in ${file} in an editor`)
  for (const target of [...a.targets]) unseenWrite(a, target.resource, `edits ${target.name === '' ? target.resource : `${target.resource}/${target.name}`} in an editor`)
  flagVerbEffects(a)
}

function patch(a: Assessment, k: KubectlArgs, ctx: KubectlContext): void {
  a.useVerb('patch')
  a.action = 'patch'
  if (flagOn(k, 'local')) a.dryRun = true
  const subresource = flagValue(k, 'subresource')
  if (subresource !== undefined) a.detail = ` (${subresource})`
  if (addResourceArgs(a, k.args) === null) return
  const files = fileObjects(a, k, ctx)
  if (files === null) return
  if (a.targets.length === 0 && files.unseen.length === 0) return a.fail('patch needs a resource')
  for (const file of files.unseen) unseenWrite(a, '', `patches the objects named in ${file}`)
  flagVerbEffects(a)
  const text = flagValue(k, 'patch')
  const patchFile = flagValue(k, 'patch-file')
  if (text === undefined) {
    if (patchFile === undefined) return a.fail('patch needs -p or --patch-file')
    for (const target of [...a.targets]) unseenWrite(a, target.resource, `patches ${target.resource} from ${patchFile}`)
    return
  }
  const read = readPatch(text)
  if ('error' in read) return a.fail(read.error)
  for (const target of [...a.targets]) {
    if (read.opaque) unseenWrite(a, target.resource, `a JSON patch copying values within ${target.resource}/${target.name}`)
    if (read.removesSecurity && mayCarryPrivilege(target.resource)) a.flagPrivileged(`removes security settings of ${target.resource}/${target.name}`)
  }
  // A status patch cannot change what runs.
  if (subresource === 'status') return
  reviewWrites(a, a.targets.map((target) => ({ target, body: read.body, partial: true })))
}

/** Reads `-f`/`-k` for a write: reviews the manifest's objects, fails closed for content not shown. */
function writeFiles(a: Assessment, k: KubectlArgs, ctx: KubectlContext, word: string): FileObjects | null {
  const files = fileObjects(a, k, ctx)
  if (files === null) return null
  for (const file of files.unseen) unseenWrite(a, '', `${word} ${file}`)
  if (files.unseen.some((file) => !file.startsWith('stdin'))) a.note(RANK.note, 'pass the manifest with `-f -` so it can be reviewed')
  flagVerbEffects(a)
  reviewWrites(a, files.objects)
  return files
}

/** `create --raw`/`replace --raw`: the file (`-f -`: the attached manifest) is the body sent to that path. */
function rawWrite(a: Assessment, k: KubectlArgs, ctx: KubectlContext, method: 'POST' | 'PUT', path: string): void {
  const fromStdin = (k.flags.get('filename') ?? []).includes('-')
  if (fromStdin) ctx.manifestRead = true
  analyzeRequest(a, { method, path, body: fromStdin ? ctx.manifest : undefined })
}
