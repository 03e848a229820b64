export { EmailChannel } from './email-channel.js'
export { renderEmail } from './render.js'
export type { RenderedEmail } from './render.js'
