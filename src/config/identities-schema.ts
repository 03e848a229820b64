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

/** `identities` (PRODUCT.md §5). Rules across entries (duplicates) are in `cross-checks.ts`. */
export const IdentitiesSchema = z.strictObject({
  humans: z.array(Human).default([]),
  agents: z.array(Agent).default([]),
  groups: z.record(GroupName, z.array(Email)).default({}),
  admins: z.array(Email).default([]),
  auditors: z.array(Email).default([]),
  allowed_domains: z.array(Domain).default([]),
})
