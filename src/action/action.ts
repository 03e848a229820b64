import { z } from 'zod'
import { MAX_JSON_DEPTH, protoKeyPath } from './proto-keys.js'

/** The kinds of action Countersign understands (docs/concepts.md). */
export const ACTION_KINDS = ['sql', 'shell', 'terraform', 'kubernetes', 'http', 'mcp', 'custom', 'policy'] as const
export type ActionKind = (typeof ACTION_KINDS)[number]

/** Longest text accepted in one payload field: large enough for a migration, small enough to review. */
export const MAX_TEXT = 1_000_000

/**
 * Longest SQL and shell texts: they are parsed on every submission, and a parse of a pathological
 * text this long takes up to ~0.5 s; longer ones would let one request stall the gateway.
 */
export const MAX_SQL = 256 * 1024
export const MAX_SHELL = 64 * 1024
export const MAX_KUBERNETES = 256 * 1024
/** Longest `saved_plan` (base64 of a binary Terraform plan file): 8 MiB of text, 6 MiB of plan. */
export const MAX_SAVED_PLAN = 8 * 1_048_576

const text = z.string().max(MAX_TEXT)
const nonEmpty = text.min(1, 'must not be empty')
/** Longest policy text a `policy` action carries. */
const MAX_POLICY = 1_000_000
const jsonObject = z.record(z.string(), z.unknown())

/** Payload schemas per kind. Strict: a key the connector would ignore must not ride along with an approval. */
export const PAYLOAD_SCHEMAS = {
  sql: z.strictObject({
    sql: nonEmpty.max(MAX_SQL, `must be at most ${MAX_SQL} characters (split longer migrations)`),
    /** Bound parameters (`$1`…) as text, `null` for SQL NULL: part of the digest (the PostgreSQL wire gateway's extended protocol). */
    params: z.array(z.string().max(MAX_SQL).nullable()).max(65_535).optional(),
  }),
  shell: z
    .strictObject({
      command: nonEmpty.max(MAX_SHELL, `must be at most ${MAX_SHELL} characters`).optional(),
      argv: z
        .array(text)
        .min(1, 'must name a program')
        .max(10_000)
        .refine((argv) => argv.reduce((total, arg) => total + arg.length, 0) <= MAX_SHELL, `must be at most ${MAX_SHELL} characters in all`)
        .optional(),
    })
    .refine((payload) => (payload.command === undefined) !== (payload.argv === undefined), 'expected either command (one string) or argv (a list), not both'),
  terraform: z.strictObject({
    plan: jsonObject,
    plan_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits').optional(),
    /** The binary plan file `terraform plan -out` wrote, base64: what the `terraform` connector applies once it matches `plan`. */
    saved_plan: z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_SAVED_PLAN, `must be at most ${MAX_SAVED_PLAN} characters of base64`)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be standard base64 (A-Z a-z 0-9 + /, = padding, no line breaks)')
      .optional(),
  }),
  kubernetes: z.union([
    z.strictObject({ command: nonEmpty.max(MAX_SHELL, `must be at most ${MAX_SHELL} characters`), manifest: text.max(MAX_KUBERNETES, `must be at most ${MAX_KUBERNETES} characters`).optional() }),
    z.strictObject({
      request: z.strictObject({ method: z.string().min(1).max(16), path: z.string().min(1).max(8192), body: z.unknown().optional() }),
    }),
    z.strictObject({ manifest: nonEmpty.max(MAX_KUBERNETES, `must be at most ${MAX_KUBERNETES} characters`) }),
  ]),
  http: z.strictObject({
    method: z.string().regex(/^[A-Za-z]{1,16}$/, 'must be an HTTP method'),
    url: z.string().min(1).max(8192),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
  }),
  mcp: z.strictObject({ server: nonEmpty.max(200), tool: nonEmpty.max(200), arguments: jsonObject.default({}) }),
  custom: jsonObject,
  /** A change of the policy in force (`policy.source: store`): the new text, and the version (SHA-256) it replaces. */
  policy: z.strictObject({
    text: z.string().min(1, 'must not be empty').max(MAX_POLICY, `must be at most ${MAX_POLICY} characters`),
    base: z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 (64 lower-case hex digits) of the policy it replaces'),
  }),
} as const satisfies Record<ActionKind, z.ZodType>

/**
 * A plain email address in ASCII, as `on_behalf_of` must be: dot-atom local part, a domain of
 * letters, digits and hyphens with at least two labels and no trailing dot. Surrounding blanks are
 * allowed (trimmed when stored).
 */
export const ON_BEHALF_OF_EMAIL = /^[ \t]*[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+[ \t]*$/

/** What the agent says about itself. Stored and shown to reviewers; never trusted for identity. */
export const ActionContextSchema = z.strictObject({
  reason: z.string().max(10_000).optional(),
  session: z.string().max(500).optional(),
  model: z.string().max(500).optional(),
  // A plain ASCII email address and nothing else: "Bob <bob@example.com>" or "bob" would not be
  // recognized as bob by the self-approval check, and a look-alike (Cyrillic "а", full-width
  // letters, an IDN written in Unicode, a trailing dot) could pass for a person it is not, so
  // they are refused rather than guessed at. `+tag` forms are accepted and are the same person
  // to the review rules (sameHuman).
  on_behalf_of: z
    .string()
    .max(320)
    .regex(ON_BEHALF_OF_EMAIL, 'must be the plain ASCII email address of a human (name@example.com), nothing else; write an internationalized domain as xn--…')
    .optional(),
  trace_id: z.string().max(500).optional(),
})
export type ActionContext = z.infer<typeof ActionContextSchema>

/** Target names as they appear in config: letters, digits and `-_.`, starting with a letter or digit. */
export const TargetNameSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-", starting with a letter or digit')

const ActionEnvelopeSchema = z.strictObject({
  kind: z.enum(ACTION_KINDS),
  target: TargetNameSchema,
  payload: z.unknown().refine((payload) => protoKeyPath(payload) === undefined, `must not contain a "__proto__" key (or nest deeper than ${MAX_JSON_DEPTH} levels)`),
  context: ActionContextSchema.default({}),
})

/** An action as an agent submits it. */
export interface Action {
  readonly kind: ActionKind
  readonly target: string
  readonly payload: Readonly<Record<string, unknown>>
  readonly context: ActionContext
}

function withKindPayload(envelope: typeof ActionEnvelopeSchema): z.ZodType<Action> {
  return envelope.transform((value, ctx) => {
    const parsed = PAYLOAD_SCHEMAS[value.kind].safeParse(value.payload)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ ...issue, path: ['payload', ...issue.path] } as z.core.$ZodRawIssue)
      }
      return z.NEVER
    }
    return { ...value, payload: parsed.data as Record<string, unknown> }
  })
}

/**
 * Validates an action: the envelope first, then the payload against its kind's schema,
 * so that errors point at `payload.sql` rather than at a union of every kind.
 *
 * @example
 * ActionSchema.parse({ kind: 'sql', target: 'prod-db', payload: { sql: 'SELECT 1' } })
 */
export const ActionSchema = withKindPayload(ActionEnvelopeSchema)

/** An action in a policy cases file or a dry run: `target` may be left out (an empty target). */
export const ActionDraftSchema = withKindPayload(
  ActionEnvelopeSchema.extend({ target: z.union([z.literal(''), TargetNameSchema]).default('') }) as unknown as typeof ActionEnvelopeSchema,
)
