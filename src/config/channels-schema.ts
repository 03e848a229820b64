import { z } from 'zod'
import { Domain, httpUrl, secret } from './config-values.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ChannelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'expected a name of letters, digits, ".", "_" or "-" (as written after teams: in a policy)')

function slackSchema(baseDir: string) {
  return z
    .strictObject({
      bot_token: secret(baseDir),
      signing_secret: secret(baseDir).optional(),
      team_id: z.string('expected the workspace id, e.g. T0123ABCD').regex(/^[TE][A-Z0-9]{2,}$/, 'expected the workspace id, e.g. T0123ABCD'),
      default_channel: z
        .string()
        .regex(/^(?:#[^\s#,]{1,80}|[CG][A-Z0-9]{2,})$/, 'expected a channel as #name or its id (C0123ABCD)')
        .optional(),
      dm_approvers: z.boolean().default(false),
      allowed_domains: z.array(Domain).default([]),
      api_url: httpUrl({ trailingSlash: 'add' }).default('https://slack.com/api/'),
      socket_mode: z.strictObject({ app_token: secret(baseDir) }).optional(),
    })
    .superRefine(
      (slack, ctx) => {
        // Over HTTP, the signing secret is what proves a click came from Slack; Socket Mode authenticates the socket instead.
        if (slack.signing_secret === undefined && slack.socket_mode === undefined) {
          ctx.addIssue({ code: 'custom', path: ['signing_secret'], message: 'missing required key "signing_secret" (needed unless socket_mode is set)' })
        }
      },
      // A presence check, safe on invalid values: reported with every other problem.
      { when: () => true },
    )
}

function teamsSchema(baseDir: string) {
  return z
    .strictObject({
      app_id: z.string('expected the bot app id (a GUID)').regex(GUID, 'expected the bot app id (a GUID)'),
      app_password: secret(baseDir),
      tenant_id: z.string('expected the tenant id (a GUID)').regex(GUID, 'expected the tenant id (a GUID)'),
      channels: z.record(ChannelName, z.string('expected a conversation id').min(1, 'expected a conversation id')).default({}),
      service_url: httpUrl({ trailingSlash: 'add' }).optional(),
      default_channel: ChannelName.optional(),
      dm_approvers: z.boolean().default(false),
      allowed_domains: z.array(Domain).default([]),
      openid_metadata: httpUrl().default('https://login.botframework.com/v1/.well-known/openidconfiguration'),
      login_url: httpUrl({ trailingSlash: 'add' }).default('https://login.microsoftonline.com/'),
    })
    .superRefine((teams, ctx) => {
      if (teams.default_channel !== undefined && !Object.hasOwn(teams.channels, teams.default_channel)) {
        ctx.addIssue({ code: 'custom', path: ['default_channel'], message: `expected one of the names under channels (${Object.keys(teams.channels).join(', ') || 'none yet'})` })
      }
    })
}

function webhookSchema(baseDir: string) {
  return z.strictObject({
    url: httpUrl(),
    secret: secret(baseDir),
    events: z.array(z.string().regex(/^[a-z][a-z0-9_.*-]{0,99}$/, 'expected an event name such as action.pending')).min(1, 'list at least one event, or leave events out to send all').optional(),
    // The body: Countersign's own event, or for a SIEM an OCSF event or a CloudEvents envelope.
    format: z.enum(['countersign', 'ocsf', 'cloudevents']).default('countersign'),
  })
}

/** `channels.email`: approval requests by email over SMTP (nodemailer); approval itself happens in the console. */
function emailSchema(baseDir: string) {
  return z.strictObject({
    smtp: z.strictObject({
      host: z.string('expected the SMTP server\'s host name').min(1),
      port: z.int('expected a port number').min(1).max(65535).default(587),
      /** true: TLS from the start (port 465); false: STARTTLS when the server offers it. */
      secure: z.boolean().default(false),
      /** Refuse to send without STARTTLS (default true unless the host is loopback). */
      require_tls: z.boolean().optional(),
      user: z.string().min(1).optional(),
      password: secret(baseDir).optional(),
    }),
    from: z.string('expected a sender such as "Countersign <countersign@example.com>"').min(3).max(320),
    /** Also mail each eligible approver the config knows (not the requesters). */
    approvers: z.boolean().default(true),
  })
}

/** `channels` (docs/configuration.md): Slack, Teams, outgoing webhooks; each optional. */
export function channelsSchema(baseDir: string) {
  return z
    .strictObject({
      slack: slackSchema(baseDir).optional(),
      teams: teamsSchema(baseDir).optional(),
      webhooks: z.array(webhookSchema(baseDir)).default([]),
      email: emailSchema(baseDir).optional(),
    })
    .default({ webhooks: [] })
}
