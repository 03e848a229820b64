// A webhook receiver for Countersign's signed events (Standard Webhooks). Run it, then point
// channels.webhooks at it:
//
//   WEBHOOK_SECRET=whsec_… node examples/webhooks/receiver.mjs        # listens on 127.0.0.1:9911
//
//   channels:
//     webhooks:
//       - url: http://127.0.0.1:9911/countersign
//         secret: env:WEBHOOK_SECRET
//         events: [action.pending, action.approved, action.denied, action.failed]   # or leave out: all
//
// Each event arrives once, in order (a failed delivery is retried before any later one). A
// repeated `webhook-id` (possible only after a crash between delivery and bookkeeping) is skipped.
import { createServer } from 'node:http'
import { Webhook } from 'standardwebhooks'

const verifier = new Webhook(process.env.WEBHOOK_SECRET ?? '')
const seen = new Set()

createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    let event
    try {
      event = verifier.verify(body, request.headers)
    } catch {
      return response.writeHead(400).end('bad signature')
    }
    const id = request.headers['webhook-id']
    if (!seen.has(id)) {
      seen.add(id)
      const { seq, action_id: action, actor, channel } = event.data
      console.log(`#${seq} ${event.timestamp} ${event.type}${action ? ` ${action}` : ''} by ${actor} via ${channel}`)
    }
    response.writeHead(204).end()
  })
}).listen(Number(process.env.PORT ?? 9911), '127.0.0.1', () => console.log('listening on 127.0.0.1:9911'))
