import { z } from 'zod'

const Account = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  aadObjectId: z.string().optional(),
})

/**
 * The parts of a Bot Framework activity Countersign reads (Teams sends many more; they are kept
 * and ignored). Parsed only after the request's token is verified.
 */
export const ActivitySchema = z.looseObject({
  type: z.string().min(1),
  id: z.string().optional(),
  channelId: z.string(),
  serviceUrl: z.string().min(1),
  from: Account,
  recipient: Account.optional(),
  conversation: z.looseObject({
    id: z.string().min(1),
    conversationType: z.string().optional(),
    tenantId: z.string().optional(),
    name: z.string().optional(),
  }),
  channelData: z
    .looseObject({
      tenant: z.looseObject({ id: z.string() }).optional(),
      team: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
      eventType: z.string().optional(),
    })
    .optional(),
  name: z.string().optional(),
  action: z.string().optional(),
  value: z.unknown().optional(),
  replyToId: z.string().optional(),
  membersAdded: z.array(Account).optional(),
  membersRemoved: z.array(Account).optional(),
})

/** An inbound activity, as far as Countersign reads it. */
export type Activity = z.infer<typeof ActivitySchema>

/** The conversation an activity belongs to, without the `;messageid=…` of a channel thread. */
export function conversationOf(activity: Activity): string {
  return activity.conversation.id.split(';')[0]!
}

/** The tenant an activity comes from: Teams puts it in `channelData.tenant`, and in `conversation.tenantId`. */
export function tenantOf(activity: Activity): string | undefined {
  return activity.channelData?.tenant?.id ?? activity.conversation.tenantId
}

/** The kinds of Teams conversation: a team's channel, a group chat, a person's 1:1 chat with the bot. */
export type ConversationType = 'channel' | 'groupChat' | 'personal'

/** The conversation type of an activity (Teams always sends it; a missing one reads as a channel). */
export function conversationTypeOf(activity: Activity): ConversationType {
  const type = activity.conversation.conversationType
  return type === 'personal' || type === 'groupChat' ? type : 'channel'
}
