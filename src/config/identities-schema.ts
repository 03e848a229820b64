import { z } from 'zod'
import { Domain, Email, GroupName, Labels, Sha256Hex } from './config-values.js'

/** Agent ids: a slug; never an email, so an agent can never pass for a human. */
const AgentId = z
  .string('expected an agent id')
  .refine((id) => !id.includes('@'), 'an agent id must not look like an email: agents and humans never share an identity')
  .refine((id) => id.includes('@') || /^[a-z0-9][a-z0-9._-]{0,63}$/i.test(id), 'expected an agent id of up to 64 letters, digits, ".", "_" or "-", starting with a letter or digit')

const Human = z.strictObject({
  email: Email,
  name: z.string().min(1).max(200).optional(),
  groups: z.array(GroupName).default([]),
  token_sha256: z.array(Sha256Hex).default([]),
})

const Agent = z.strictObject({
  id: AgentId,
  owner: Email,
  labels: Labels,
  description: z.string().max(2000).optional(),
  token_sha256: z.array(Sha256Hex).default([]),
})

/** The asymmetric JWS algorithms a workload token may use: never `none`, never an HMAC (a public key is no secret). */
export const WORKLOAD_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const

/** Claims the verifier itself checks: a rule cannot match on them. */
const RESERVED_CLAIMS = ['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']

/**
 * https, or plain http on this machine only (a test issuer): keys fetched over plain http could be
 * anyone's. Kept exactly as written: an issuer is compared with the tokens' `iss` character for
 * character (GitHub's has no trailing slash, Auth0's has one).
 */
const SecureUrl = z.string('expected a URL').refine((text) => {
  if (!URL.canParse(text)) return false
  const { protocol, hostname, username, password } = new URL(text)
  return !username && !password && (protocol === 'https:' || (protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(hostname)))
}, 'expected an https:// URL without credentials (plain http only on this machine: 127.0.0.1, [::1] or localhost)')

const ClaimValue = z.string('expected a claim value').min(1).max(1000)

/** One mapping: a token whose claims equal all of `match` is the configured agent `id`. */
const WorkloadAgent = z.strictObject({
  id: AgentId,
  match: z
    .record(z.string().regex(/^[A-Za-z0-9_.:/-]{1,200}$/, 'expected a claim name such as repository or sub'), z.union([ClaimValue, z.array(ClaimValue).min(1)]), 'expected claim: value pairs, e.g. { repository: acme/infra, ref: refs/heads/main }')
    .refine((match) => Object.keys(match).length > 0, 'match at least one claim that names the workload (e.g. repository_id or sub): the issuer alone signs for everyone who uses it')
    .refine((match) => !Object.keys(match).some((claim) => RESERVED_CLAIMS.includes(claim)), `iss, aud, exp, nbf, iat and jti are checked by the verifier; match on the workload's own claims`),
})

/** One trusted issuer of workload tokens (a CI system's OIDC provider). */
const WorkloadIssuer = z.strictObject({
  issuer: SecureUrl,
  audience: z.string('expected the audience the tokens are minted for, e.g. countersign').min(1).max(500),
  jwks_url: SecureUrl.optional(),
  algorithms: z.array(z.enum(WORKLOAD_ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA']),
  agents: z.array(WorkloadAgent).min(1, 'map at least one agent'),
})

/** `identities` (docs/configuration.md). Rules across entries (duplicates) are in `cross-checks.ts`. */
export const IdentitiesSchema = z
  .strictObject({
    humans: z.array(Human).default([]),
    agents: z.array(Agent).default([]),
    groups: z.record(GroupName, z.array(Email)).default({}),
    admins: z.array(Email).default([]),
    auditors: z.array(Email).default([]),
    allowed_domains: z.array(Domain).default([]),
    workload: z.array(WorkloadIssuer).optional(),
  })
  .superRefine((identities, ctx) => {
    // A workload token maps to a configured agent only: its owner and labels come from `agents`.
    const agents = new Set(identities.agents.map((agent) => agent.id))
    const issuers = new Set<string>()
    identities.workload?.forEach((entry, index) => {
      if (issuers.has(entry.issuer)) ctx.addIssue({ code: 'custom', path: ['workload', index, 'issuer'], message: `issuer ${entry.issuer} is listed twice: put its agents in one entry` })
      issuers.add(entry.issuer)
      entry.agents.forEach((agent, position) => {
        if (!agents.has(agent.id)) ctx.addIssue({ code: 'custom', path: ['workload', index, 'agents', position, 'id'], message: `no agent "${agent.id}" in identities.agents: a workload token can only act as a configured agent` })
      })
    })
  })
