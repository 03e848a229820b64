// A small MCP server for the demo: team notes behind a service key, over stdio. It stands for any
// upstream (GitHub's, a filesystem's, a ticket system's) whose credential only Countersign holds.
//   NOTES_KEY=… node examples/mcp/notes-server.mjs
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { z } from 'zod'

if (!process.env.NOTES_KEY) {
  console.error('notes-server: NOTES_KEY is not set')
  process.exit(1)
}

const notes = new Map([
  ['runbook', 'Restart the API with `systemctl restart api`; page #oncall if it fails twice.'],
  ['old-draft', 'An outdated draft of the Q3 plan.'],
  ['release-notes', 'v2.4: faster search, fixed CSV export.'],
])

const server = new McpServer({ name: 'notes', version: '1.0.0' })
server.registerTool('list_notes', { description: 'Lists the names of the team notes', annotations: { readOnlyHint: true, openWorldHint: false } }, async () => ({
  content: [{ type: 'text', text: [...notes.keys()].join('\n') }],
}))
server.registerTool(
  'read_note',
  { description: 'Reads one note', inputSchema: { name: z.string() }, annotations: { readOnlyHint: true, openWorldHint: false } },
  async ({ name }) => (notes.has(name) ? { content: [{ type: 'text', text: notes.get(name) }] } : { content: [{ type: 'text', text: `no note named ${name}` }], isError: true }),
)
server.registerTool(
  'delete_note',
  { description: 'Deletes a note for good', inputSchema: { name: z.string() }, annotations: { destructiveHint: true, openWorldHint: false } },
  async ({ name }) => (notes.delete(name) ? { content: [{ type: 'text', text: `deleted ${name}` }] } : { content: [{ type: 'text', text: `no note named ${name}` }], isError: true }),
)
await server.connect(new StdioServerTransport())
