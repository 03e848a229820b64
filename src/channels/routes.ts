/** An inbound HTTP endpoint of a channel (Slack's interactivity URL, Teams' messaging endpoint), mounted by the server. */
export interface ChannelRoute {
  /** Where it is served (`POST` only: platforms post their requests). */
  readonly path: string
  /** Answers one request: the channel verifies it itself (signatures, tokens), before anything else. */
  handle(request: Request): Promise<Response>
}
