/**
 * Renders what approvers see in Slack into docs/: the Block Kit JSON of a real pending action's
 * message (docs/slack-message.json), an HTML preview drawn from exactly those blocks
 * (docs/slack-message.html) and its screenshot in Chromium (docs/slack-message.png).
 *
 *   node --import tsx scripts/render-slack-preview.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { types } from '@slack/bolt'
import { chromium } from 'playwright-core'
import { messageContent } from '../src/channels/index.js'
import { slackMessage } from '../src/channels/slack/index.js'
import { testGateway } from '../src/server/test-gateway.js'
import { testStores } from '../src/store/connection/index.js'

const DOCS = resolve(import.meta.dirname, '../docs')

const store = await testStores()[0]!.open()
const gw = await testGateway(store)
const submitted = await gw.call('POST', '/v1/actions', {
  as: 'deployBot',
  body: {
    kind: 'sql',
    target: 'prod-db',
    payload: { sql: "UPDATE users\n   SET plan = 'pro', updated_at = now()\n WHERE id = 42;\nDELETE FROM sessions;" },
    context: { reason: 'Customer 42 upgraded; sign everyone out so the new plan applies', model: 'claude-sonnet-4', session: 'ticket-8812', on_behalf_of: 'frank@example.com' },
  },
})
await gw.call('POST', `/v1/actions/${submitted.body.id}/reviews`, { as: 'alice', body: { decision: 'approve', reason: 'checked the WHERE clause on the update' } })
const state = await gw.gateway.get({ type: 'human', email: 'alice@example.com', groups: ['dba'], admin: false, auditor: true }, submitted.body.id)
const message = slackMessage(messageContent(state, { publicUrl: 'https://countersign.example.com', env: 'prod', events: await gw.store.actionEvents(submitted.body.id) }))
await gw.close()
await store.drop()

mkdirSync(DOCS, { recursive: true })
writeFileSync(join(DOCS, 'slack-message.json'), `${JSON.stringify(message, null, 2)}\n`)
const html = page(message.blocks)
writeFileSync(join(DOCS, 'slack-message.html'), html)
const browser = await chromium.launch({ executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const tab = await browser.newPage({ viewport: { width: 760, height: 400 }, deviceScaleFactor: 2 })
await tab.setContent(html)
await tab.locator('.message').screenshot({ path: join(DOCS, 'slack-message.png') })
await browser.close()
console.log(`wrote ${join(DOCS, 'slack-message.{json,html,png}')}`)

function page(blocks: readonly types.KnownBlock[]): string {
  return `<!doctype html><meta charset="utf-8"><title>Countersign in Slack (preview)</title>
<style>
body{margin:0;background:#fff;font:15px/1.46 -apple-system,"Segoe UI",Lato,Helvetica,Arial,sans-serif;color:#1d1c1d}
.message{display:flex;gap:8px;padding:12px 20px;max-width:720px}
.avatar{width:36px;height:36px;border-radius:6px;background:#1f3a5f;color:#fff;font-weight:700;display:flex;align-items:center;justify-content:center;flex:none}
.who b{font-weight:900}.who span{color:#616061;font-size:12px;margin-left:6px}.app{background:#e8e8e8;color:#616061;font-size:10px;padding:1px 3px;border-radius:2px;margin-left:4px}
h1{font-size:15px;font-weight:900;margin:4px 0}
.rt{margin:6px 0}.rt p{margin:0}
pre{background:#f8f8f8;border:1px solid #ddd;border-radius:4px;padding:8px;margin:4px 0;font:12px/1.5 Monaco,Menlo,Consolas,monospace;white-space:pre-wrap}
ul{margin:2px 0 2px 22px;padding:0}
a{color:#1264a3;text-decoration:none}
.actions{display:flex;gap:8px;margin-top:10px}
.btn{border:1px solid #bbb;border-radius:4px;padding:3px 12px;font-weight:700;font-size:13px;background:#fff}
.primary{background:#007a5a;border-color:#007a5a;color:#fff}.danger{background:#fff;border-color:#e01e5a;color:#e01e5a}
</style>
<div class="message"><div class="avatar">CS</div><div><div class="who"><b>Countersign</b><span class="app">APP</span><span>10:42 AM</span></div>
${blocks.map(renderBlock).join('\n')}
</div></div>`
}

function renderBlock(block: types.KnownBlock): string {
  if (block.type === 'header') return `<h1>${escape(block.text.text)}</h1>`
  if (block.type === 'rich_text') return `<div class="rt">${block.elements.map(richElement).join('')}</div>`
  if (block.type === 'actions') {
    return `<div class="actions">${block.elements.map((element) => (element.type === 'button' ? `<span class="btn ${element.style ?? ''}">${escape(element.text.text)}</span>` : '')).join('')}</div>`
  }
  return ''
}

function richElement(element: types.RichTextBlockElement): string {
  if (element.type === 'rich_text_section') return `<p>${element.elements.map(inline).join('')}</p>`
  if (element.type === 'rich_text_preformatted') return `<pre>${element.elements.map(inline).join('')}</pre>`
  if (element.type === 'rich_text_list') return `<ul>${element.elements.map((item) => `<li>${item.elements.map(inline).join('')}</li>`).join('')}</ul>`
  return ''
}

function inline(element: types.RichTextElement): string {
  if (element.type === 'text') {
    const value = escape(element.text)
    return element.style?.bold ? `<b>${value}</b>` : element.style?.italic ? `<i>${value}</i>` : value
  }
  if (element.type === 'link') return `<a href="${escape(element.url)}">${escape(element.text ?? element.url)}</a>`
  if (element.type === 'date') return escape(new Date(element.timestamp * 1000).toUTCString().replace(' GMT', ' UTC'))
  return ''
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
