/**
 * Renders what approvers see in Microsoft Teams into docs/: the Adaptive Card of a real pending
 * action (docs/teams-card.json), an HTML preview drawn from exactly that card
 * (docs/teams-card.html) and its screenshot in Chromium (docs/teams-card.png).
 *
 *   node --import tsx scripts/render-teams-preview.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { messageContent } from '../src/channels/index.js'
import { teamsCard, type AdaptiveCard, type CardNode } from '../src/channels/teams/index.js'
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
const card = teamsCard(messageContent(state, { publicUrl: 'https://countersign.example.com', env: 'prod', events: await gw.store.actionEvents(submitted.body.id) }))
await gw.close()
await store.drop()

mkdirSync(DOCS, { recursive: true })
writeFileSync(join(DOCS, 'teams-card.json'), `${JSON.stringify(card, null, 2)}\n`)
const html = page(card)
writeFileSync(join(DOCS, 'teams-card.html'), html)
const browser = await chromium.launch({ executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
const tab = await browser.newPage({ viewport: { width: 760, height: 400 }, deviceScaleFactor: 2 })
await tab.setContent(html)
await tab.locator('.message').screenshot({ path: join(DOCS, 'teams-card.png') })
await browser.close()
console.log(`wrote ${join(DOCS, 'teams-card.{json,html,png}')}`)

/** A Teams-like page showing the card: a small renderer for exactly the elements the card uses. */
function page(adaptive: AdaptiveCard): string {
  return `<!doctype html><meta charset="utf-8"><title>Countersign in Microsoft Teams (preview)</title>
<style>
body{margin:0;background:#f5f5f5;font:14px/1.43 "Segoe UI",-apple-system,Helvetica,Arial,sans-serif;color:#242424}
.message{display:flex;gap:10px;padding:16px 20px;max-width:720px}
.avatar{width:32px;height:32px;border-radius:50%;background:#1f3a5f;color:#fff;font-weight:600;font-size:12px;display:flex;align-items:center;justify-content:center;flex:none}
.bubble{background:#fff;border-radius:6px;box-shadow:0 1px 2px rgba(0,0,0,.14);padding:8px 0 12px;flex:1}
.who{padding:0 16px 6px;font-size:12px;color:#616161}.who b{color:#242424;font-weight:600;margin-right:8px}
.card{padding:0 16px}
.rt{margin-top:4px}.rt.large{font-size:18px;font-weight:600;margin-top:0}
.b{font-weight:600}.i{font-style:italic}.mono{font-family:Consolas,"Courier New",monospace;font-size:13px;white-space:pre-wrap}
.sep{border-top:1px solid #e0e0e0;margin-top:12px;padding-top:8px}
.emphasis{background:#f0f0f0;border-radius:4px;padding:8px;margin-top:4px}
.attention{background:#fde7e9;color:#a4262c;border-radius:4px;padding:8px;margin-bottom:8px}
.subtle{color:#616161}
a{color:#5b5fc7;text-decoration:none}
label{display:block;font-weight:600;margin-top:12px}
textarea{width:100%;box-sizing:border-box;height:52px;border:1px solid #d1d1d1;border-radius:4px;padding:6px 8px;font:inherit;color:#616161;resize:none}
.actions{display:flex;gap:8px;margin-top:12px}
.btn{border:1px solid #d1d1d1;border-radius:4px;padding:5px 14px;font-weight:600;background:#fff}
.positive{background:#5b5fc7;border-color:#5b5fc7;color:#fff}.destructive{color:#c4314b;border-color:#c4314b}
</style>
<div class="message"><div class="avatar">CS</div><div class="bubble"><div class="who"><b>Countersign</b>10:42 AM</div>
<div class="card">${adaptive.body.map(element).join('\n')}
<div class="actions">${adaptive.actions.map((action) => `<span class="btn ${String(action['style'] ?? '')}">${escape(String(action['title']))}</span>`).join('')}</div></div></div></div>`
}

function element(node: CardNode): string {
  const separated = node['separator'] ? ' sep' : ''
  switch (node['type']) {
    case 'RichTextBlock': {
      const inlines = (node['inlines'] as CardNode[]).map((inline) => {
        const classes = [inline['weight'] === 'Bolder' && 'b', inline['italic'] && 'i', inline['fontType'] === 'Monospace' && 'mono'].filter(Boolean).join(' ')
        return `<span class="${classes}">${escape(String(inline['text']))}</span>`
      })
      const large = (node['inlines'] as CardNode[]).some((inline) => inline['size'] === 'Large')
      return `<div class="rt${large ? ' large' : ''}${separated}">${inlines.join('')}</div>`
    }
    case 'TextBlock':
      return `<div class="rt${node['isSubtle'] ? ' subtle' : ''}${separated}">${markdown(String(node['text']))}</div>`
    case 'Container':
      return `<div class="${String(node['style'] ?? '')}${separated}">${(node['items'] as CardNode[]).map(element).join('')}</div>`
    case 'Input.Text':
      return `<div class="${separated}"><label>${escape(String(node['label']))}</label><textarea readonly>${escape(String(node['placeholder'] ?? ''))}</textarea></div>`
    default:
      return ''
  }
}

/** The Markdown subset our own TextBlocks use (bold, italic, links) and the DATE/TIME functions, shown as Teams would in UTC. */
function markdown(text: string): string {
  return escape(text)
    .replace(/\{\{DATE\(([^,]+), SHORT\)\}\}/g, (_, iso: string) => new Date(iso).toLocaleDateString('en-US', { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' }))
    .replace(/\{\{TIME\(([^)]+)\)\}\}/g, (_, iso: string) => new Date(iso).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' }))
    .replace(/\*\*([^*]+)\*\*/g, '<b>$1</b>')
    .replace(/\*([^*]+)\*/g, '<i>$1</i>')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<a href="$2">$1</a>')
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
