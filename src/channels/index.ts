/**
 * Channels: every way a human is asked and answers (ARCHITECTURE.md). The channel interface, the
 * message content built once for all of them, the delivery outbox's dispatcher, and the plugins
 * (Slack). Transports and the server use {@link startChannels}; plugins use the rest.
 */
export { approversToAsk, configuredHumans } from './approvers.js'
export type { AnnouncementRequest, Channel, DeliveryFailure } from './channel.js'
export { OutboxDispatcher } from './dispatcher.js'
export type { DispatcherOptions } from './dispatcher.js'
export { messageContent } from './message.js'
export type { MessageContent, MessageField, MessageRequirement, MessageReview } from './message.js'
export { refusalText } from './refusal.js'
export type { ChannelRoute } from './routes.js'
export { FIELD_SHOWN_CHARS, PAYLOAD_SHOWN_CHARS, lineText, shownBlock, shownLine } from './shown-text.js'
export type { ShownText } from './shown-text.js'
export { startChannels } from './start-channels.js'
export type { ChannelsOptions, ChannelTuning, StartedChannels } from './start-channels.js'
