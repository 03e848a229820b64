import { createTransport, type Transporter } from 'nodemailer'
import type { EmailConfig } from '../../config/index.js'
import { resolveSecret } from '../../config/index.js'
import type { Human, Reminder } from '../../lifecycle/index.js'
import { approversToAsk } from '../approvers.js'
import type { AnnouncementRequest, Channel, DeliveryFailure } from '../channel.js'
import type { MessageContent } from '../message.js'
import { renderEmail } from './render.js'

/** Where a sent request email went: the recipient and its Message-ID, for threading reminders. */
interface EmailRef {
  readonly to: string
  readonly messageId: string
}

/** SMTP reply codes that trying again cannot fix (a mailbox that does not exist, a refused sender). */
const PERMANENT = /^5\d\d$/

/**
 * Email as a channel (outbound only): a request is mailed to the addresses its rules name
 * (`channels: [email:dba-team@example.com]`) and, with `approvers` (default), to each eligible
 * approver the config knows, over SMTP with nodemailer. The mail carries what chat shows and a
 * link to the console's request page, where one approves after signing in: email adds no weaker
 * way to approve. Mail cannot be edited, so `update` sends nothing; a reminder is a new mail in
 * the same thread.
 */
export class EmailChannel implements Channel {
  readonly name = 'email'
  readonly #transport: Transporter
  readonly #config: EmailConfig
  readonly #humans: readonly Human[]

  constructor(config: EmailConfig, humans: readonly Human[]) {
    this.#config = config
    this.#humans = humans
    const loopback = config.smtp.host === '127.0.0.1' || config.smtp.host === 'localhost' || config.smtp.host === '::1'
    this.#transport = createTransport({
      host: config.smtp.host,
      port: config.smtp.port,
      secure: config.smtp.secure,
      requireTLS: config.smtp.require_tls ?? (!config.smtp.secure && !loopback),
      ...(config.smtp.user && { auth: { user: config.smtp.user, pass: config.smtp.password ? resolveSecret(config.smtp.password) : '' } }),
    })
  }

  destinations(request: AnnouncementRequest): readonly string[] {
    const named = request.requirements.flatMap((requirement) => requirement.channels).filter((channel) => channel.startsWith('email:')).map((channel) => channel.slice('email:'.length).trim().toLowerCase())
    const approvers = this.#config.approvers ? approversToAsk(this.#humans, request.requirements, request.conflicted) : []
    return [...new Set([...named.filter((address) => /^[^\s@]+@[^\s@]+$/.test(address)), ...approvers])]
  }

  async announce(destination: string, content: MessageContent): Promise<string> {
    const mail = renderEmail(content)
    const sent = await this.#transport.sendMail({ from: this.#config.from, to: destination, subject: mail.subject, text: mail.text, html: mail.html, headers: { 'X-Countersign-Action': content.id } })
    return JSON.stringify({ to: destination, messageId: sent.messageId } satisfies EmailRef)
  }

  async update(): Promise<void> {
    // Sent mail cannot be changed; the console page shows the current state.
  }

  async remind(ref: string, content: MessageContent, reminder: Reminder): Promise<void> {
    const { to, messageId } = JSON.parse(ref) as EmailRef
    const mail = renderEmail(content, reminder)
    await this.#transport.sendMail({ from: this.#config.from, to, subject: mail.subject, text: mail.text, html: mail.html, inReplyTo: messageId, references: [messageId], headers: { 'X-Countersign-Action': content.id } })
  }

  failure(error: unknown): DeliveryFailure {
    const coded = error as { responseCode?: number; code?: string; message?: string }
    const permanent = coded?.responseCode !== undefined && PERMANENT.test(String(coded.responseCode))
    return { permanent, message: `SMTP: ${coded?.responseCode ? `${coded.responseCode} ` : ''}${coded?.code ? `${coded.code} ` : ''}${(coded?.message ?? String(error)).split('\n')[0]}` }
  }

  /** Closes the SMTP connections. */
  close(): void {
    this.#transport.close()
  }
}
