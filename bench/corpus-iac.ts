/**
 * The kubernetes and terraform analyzers over public material nobody here wrote (issue 16): per
 * corpus, items, parse errors, flags found, misses against an independent oracle, items per second.
 *
 * The corpora are git repositories fetched as bare mirrors (no work tree); nothing of them is
 * committed. `COUNTERSIGN_CORPUS_MIRRORS` names the directory holding them as `OWNER+NAME/repo`
 * (the layout of the `fetch` tool: /work/.mirror); a corpus whose repository is absent is skipped
 * with a message.
 *
 *   COUNTERSIGN_CORPUS_MIRRORS=/work/.mirror npm run bench -- corpus-iac
 *
 * Oracles, independent of the analyzers' code:
 * - terraform: the plan's own `resource_changes[].change.actions` (a managed `delete` must give
 *   `destroys_any`); states (no `planned_values`) must be refused; every plan must parse.
 * - kubernetes: checkov's fixture names (`*failed*` in a check's folder must raise that check's
 *   flag), and the manifest text (`secretKeyRef`, `secretRef`, `secretName` must give `secret_refs`).
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Analysis } from '../src/analyzers/analyzer.js'
import { type KubernetesFacts, loadKubernetesAnalyzer } from '../src/analyzers/kubernetes/index.js'
import { loadTerraformAnalyzer, type TerraformFacts } from '../src/analyzers/terraform/index.js'

export const name = 'corpus-iac: kubernetes and terraform analyzers over public corpora'

/** One file of a corpus, read from a git object. */
interface Item {
  readonly path: string
  readonly text: string
}

/** A corpus: a repository, a revision, and which of its files are items. */
interface Corpus {
  readonly label: string
  readonly repo: string
  readonly rev: string
  readonly keep: (path: string) => boolean
}

const MAX_LISTED = 8

/** Reads many blobs with one `git cat-file --batch`. */
function readItems(gitDir: string, rev: string, keep: (path: string) => boolean): { items: Item[]; commit: string } {
  const commit = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', `${rev}^{commit}`], { encoding: 'utf8' }).trim()
  const paths = execFileSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', commit], { encoding: 'utf8', maxBuffer: 1 << 28 })
    .split('\n')
    .filter((path) => path !== '' && keep(path))
  if (paths.length === 0) return { items: [], commit }
  const out = execFileSync('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { input: paths.map((path) => `${commit}:${path}\n`).join(''), maxBuffer: 1 << 30 })
  const items: Item[] = []
  let offset = 0
  for (const path of paths) {
    const newline = out.indexOf(10, offset)
    const header = out.subarray(offset, newline).toString('utf8')
    const size = Number(header.split(' ')[2])
    if (!Number.isFinite(size)) throw new Error(`git cat-file: ${header}`)
    items.push({ path, text: out.subarray(newline + 1, newline + 1 + size).toString('utf8') })
    offset = newline + 1 + size + 1
  }
  return { items, commit }
}

function mirror(root: string, repo: string): string | null {
  const gitDir = join(root, repo.replace('/', '+'), 'repo')
  return existsSync(gitDir) ? gitDir : null
}

function rate(items: number, ms: number): string {
  return ms > 0 ? `${Math.round((items * 1000) / ms)} items/s` : 'n/a'
}

function listed(paths: readonly string[]): string {
  const more = paths.length > MAX_LISTED ? ` (+${paths.length - MAX_LISTED} more)` : ''
  return paths.slice(0, MAX_LISTED).join(', ') + more
}

const TERRAFORM_CORPORA: readonly Corpus[] = [
  { label: 'hashicorp/terraform HEAD show-json and cloud plans', repo: 'hashicorp/terraform', rev: 'HEAD', keep: (p) => /testdata\/.*(show-json.*\/output|plan[^/]*)\.json$/.test(p) },
  { label: 'hashicorp/terraform v0.12.31 show-json (format 0.1)', repo: 'hashicorp/terraform', rev: 'v0.12.31', keep: (p) => /show-json.*\/output\.json$/.test(p) },
  { label: 'hashicorp/terraform v0.15.5 show-json', repo: 'hashicorp/terraform', rev: 'v0.15.5', keep: (p) => /show-json.*\/output\.json$/.test(p) },
  { label: 'bridgecrewio/checkov terraform plan fixtures', repo: 'bridgecrewio/checkov', rev: 'HEAD', keep: (p) => p.startsWith('tests/') && p.endsWith('.json') && /plan|tfplan/i.test(p) },
]

const KUBERNETES_CORPORA: readonly Corpus[] = [
  { label: 'bridgecrewio/checkov kubernetes fixtures', repo: 'bridgecrewio/checkov', rev: 'HEAD', keep: (p) => p.startsWith('tests/kubernetes/') && /\.ya?ml$/.test(p) },
  { label: 'controlplaneio/kubesec test assets', repo: 'controlplaneio/kubesec', rev: 'HEAD', keep: (p) => p.startsWith('test/') && /\.ya?ml$/.test(p) },
]

/** checkov check folders whose `*failed*` fixtures must raise this flag. */
const CHECKOV_FLAGS: ReadonlyMap<string, (facts: KubernetesFacts) => boolean> = new Map([
  ['example_RbacApproveCertificateSigningRequests', (f) => f.rbac_escalation],
  ['example_RbacBindRoleBindings', (f) => f.rbac_escalation],
  ['example_RbacControlWebhooks', (f) => f.rbac_escalation],
  ['example_RbacEscalateRoles', (f) => f.rbac_escalation],
  ['example_WildcardRoles', (f) => f.rbac_escalation],
  ['example_PrivilegedContainers', (f) => f.privileged],
  ['example_AllowPrivilegeEscalation', (f) => f.privileged],
  ['example_ShareHost', (f) => f.privileged],
  ['example_DockerSocketVolume', (f) => f.privileged],
  ['example_RootContainers', (f) => f.privileged],
])

/** Runs the terraform corpora. */
async function runTerraform(root: string): Promise<void> {
  const terraform = await loadTerraformAnalyzer()
  for (const corpus of TERRAFORM_CORPORA) {
    const gitDir = mirror(root, corpus.repo)
    if (gitDir === null) {
      console.log(`terraform / ${corpus.label}: skipped (no mirror of ${corpus.repo} under ${root})`)
      continue
    }
    const { items, commit } = readItems(gitDir, corpus.rev, corpus.keep)
    let plans = 0
    let states = 0
    let other = 0
    let changeless = 0
    const errors: string[] = []
    const missedDestroys: string[] = []
    const refusedStates: string[] = []
    const flags = { destroys_any: 0, iam_changes: 0, data_stores: 0, public_exposure: 0, unknown_exposure: 0 }
    const versions = new Map<string, number>()
    let ms = 0
    for (const item of items) {
      let plan: unknown
      try {
        plan = JSON.parse(item.text)
      } catch {
        other++
        continue
      }
      if (typeof plan !== 'object' || plan === null || !('format_version' in plan)) {
        other++
        continue
      }
      const record = plan as Record<string, unknown>
      const isPlan = 'planned_values' in record || 'resource_changes' in record
      const start = performance.now()
      const { facts } = terraform.analyze({ plan }) as Analysis<TerraformFacts>
      ms += performance.now() - start
      if (!isPlan) {
        states++
        if (facts.parse_error !== '') refusedStates.push(item.path)
        continue
      }
      plans++
      versions.set(String(record.format_version), (versions.get(String(record.format_version)) ?? 0) + 1)
      if (facts.parse_error !== '') {
        errors.push(`${item.path}: ${facts.parse_error}`)
        continue
      }
      const changes = Array.isArray(record.resource_changes) ? (record.resource_changes as Record<string, unknown>[]) : []
      const acts = changes.map((c) => JSON.stringify((c.change as Record<string, unknown> | undefined)?.actions ?? []))
      if (acts.every((a) => a === '["no-op"]' || a === '["read"]')) changeless++
      const deletes = changes.some((c) => c.mode !== 'data' && JSON.stringify((c.change as Record<string, unknown> | undefined)?.actions ?? []).includes('"delete"'))
      if (deletes && !facts.destroys_any) missedDestroys.push(item.path)
      if (facts.destroys_any) flags.destroys_any++
      if (facts.iam_changes.length > 0) flags.iam_changes++
      if (facts.data_stores.length > 0) flags.data_stores++
      if (facts.public_exposure.length > 0) flags.public_exposure++
      if (facts.unknown_exposure.length > 0) flags.unknown_exposure++
    }
    console.log(`terraform / ${corpus.label} @ ${commit.slice(0, 12)}`)
    console.log(`  items ${plans + states} (plans ${plans}, states ${states}; ${other} other JSON skipped), formats ${[...versions].map(([v, n]) => `${v}×${n}`).join(' ')}`)
    console.log(`  plans without resource changes (absent, or only no-op/read): ${changeless}`)
    console.log(`  plan parse errors ${errors.length}${errors.length > 0 ? `: ${listed(errors)}` : ''}`)
    console.log(`  states refused ${refusedStates.length}/${states} (expected: all)`)
    console.log(`  plans flagged: ${Object.entries(flags).map(([k, n]) => `${k} ${n}`).join(', ')}`)
    console.log(`  false harmless (a managed delete without destroys_any): ${missedDestroys.length}${missedDestroys.length > 0 ? `: ${listed(missedDestroys)}` : ''}`)
    console.log(`  ${rate(plans + states, ms)}`)
  }
}

/** Runs the kubernetes corpora. */
async function runKubernetes(root: string): Promise<void> {
  const kubernetes = await loadKubernetesAnalyzer()
  for (const corpus of KUBERNETES_CORPORA) {
    const gitDir = mirror(root, corpus.repo)
    if (gitDir === null) {
      console.log(`kubernetes / ${corpus.label}: skipped (no mirror of ${corpus.repo} under ${root})`)
      continue
    }
    const { items, commit } = readItems(gitDir, corpus.rev, corpus.keep)
    const errors: string[] = []
    const missed: string[] = []
    const flaggedPassed: string[] = []
    const missedSecretRefs: string[] = []
    let oracleItems = 0
    const flags = { privileged: 0, rbac_escalation: 0, secrets_access: 0, destructive: 0, secret_refs: 0 }
    let ms = 0
    for (const item of items) {
      const start = performance.now()
      const { facts } = kubernetes.analyze({ manifest: item.text }) as Analysis<KubernetesFacts>
      ms += performance.now() - start
      if (facts.parse_error !== '') {
        errors.push(`${item.path}: ${facts.parse_error}`)
        continue
      }
      if (facts.privileged) flags.privileged++
      if (facts.rbac_escalation) flags.rbac_escalation++
      if (facts.secrets_access) flags.secrets_access++
      if (facts.destructive) flags.destructive++
      if (facts.secret_refs.length > 0) flags.secret_refs++
      const check = CHECKOV_FLAGS.get(item.path.split('/').at(-2) ?? '')
      const file = (item.path.split('/').at(-1) ?? '').toLowerCase()
      if (check !== undefined && /fail/.test(file)) {
        oracleItems++
        if (!check(facts)) missed.push(item.path)
      } else if (check !== undefined && /pass/.test(file) && check(facts)) {
        flaggedPassed.push(item.path)
      }
      if (/secretKeyRef|secretRef|secretName/.test(item.text.replace(/^\s*#.*$/gm, '')) && facts.secret_refs.length === 0) missedSecretRefs.push(item.path)
    }
    console.log(`kubernetes / ${corpus.label} @ ${commit.slice(0, 12)}`)
    console.log(`  items ${items.length}, parse errors ${errors.length}${errors.length > 0 ? `: ${listed(errors)}` : ''}`)
    console.log(`  flagged: ${Object.entries(flags).map(([k, n]) => `${k} ${n}`).join(', ')}`)
    console.log(`  false harmless against checkov's verdicts: ${missed.length}/${oracleItems}${missed.length > 0 ? `: ${listed(missed)}` : ''}`)
    console.log(`  flagged where checkov's check passed (other risks may be present): ${flaggedPassed.length}${flaggedPassed.length > 0 ? `: ${listed(flaggedPassed)}` : ''}`)
    console.log(`  secret references in the text without secret_refs: ${missedSecretRefs.length}${missedSecretRefs.length > 0 ? `: ${listed(missedSecretRefs)}` : ''}`)
    console.log(`  ${rate(items.length, ms)}`)
  }
}

/** Runs both analyzers over every corpus found. */
export async function run(): Promise<void> {
  const root = process.env.COUNTERSIGN_CORPUS_MIRRORS
  if (root === undefined || root === '' || !existsSync(root)) {
    console.log('skipped: set COUNTERSIGN_CORPUS_MIRRORS to the directory of fetched mirrors (OWNER+NAME/repo), e.g. /work/.mirror')
    return
  }
  await runTerraform(root)
  await runKubernetes(root)
}
