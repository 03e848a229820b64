import type { ReactNode } from 'react'
import { shellTokens, sqlTokens, type Token } from './highlight'
import { hasHidden, Visible } from './visible'

/**
 * The payload exactly as stored and approved: SQL and shell highlighted, everything else as
 * JSON, every invisible character marked. Long lines scroll rather than wrap, so what looks
 * like two lines is two lines.
 */
export function Payload({ kind, payload }: { kind: string; payload: Record<string, unknown> }) {
  const blocks: ReactNode[] = []
  const rest: Record<string, unknown> = { ...payload }
  const take = (key: string): string | undefined => {
    const value = rest[key]
    if (typeof value !== 'string') return undefined
    delete rest[key]
    return value
  }
  if (kind === 'sql') {
    const sql = take('sql')
    if (sql !== undefined) blocks.push(<Code key="sql" label="sql" text={sql} tokens={sqlTokens(sql)} />)
  } else if (kind === 'shell' || kind === 'kubernetes') {
    const command = take('command')
    if (command !== undefined) blocks.push(<Code key="command" label="command" text={command} tokens={shellTokens(command)} />)
    const manifest = take('manifest')
    if (manifest !== undefined) blocks.push(<Code key="manifest" label="manifest" text={manifest} tokens={[{ kind: 'text', text: manifest }]} />)
    if (Array.isArray(rest['argv']) && rest['argv'].every((arg) => typeof arg === 'string')) {
      blocks.push(<Argv key="argv" argv={rest['argv'] as string[]} />)
      delete rest['argv']
    }
  } else if (kind === 'policy') {
    const text = take('text')
    if (text !== undefined) blocks.push(<Code key="policy" label="proposed policy (YAML)" text={text} tokens={[{ kind: 'text', text }]} />)
  } else if (kind === 'http' && typeof rest['method'] === 'string' && typeof rest['url'] === 'string') {
    const line = `${take('method')} ${take('url')}`
    blocks.push(<Code key="request" label="request" text={line} tokens={[{ kind: 'kw', text: line.slice(0, line.indexOf(' ')) }, { kind: 'text', text: line.slice(line.indexOf(' ')) }]} />)
    const body = take('body')
    if (body !== undefined) blocks.push(<Code key="body" label="body" text={body} tokens={[{ kind: 'text', text: body }]} />)
  }
  if (Object.keys(rest).length > 0 || blocks.length === 0) {
    const json = JSON.stringify(rest, null, 2)
    blocks.push(<Code key="json" label={blocks.length === 0 ? 'payload (JSON)' : 'more (JSON)'} text={json} tokens={[{ kind: 'text', text: json }]} />)
  }
  return <div className="payload">{blocks}</div>
}

function Code({ label, text, tokens }: { label: string; text: string; tokens: readonly Token[] }) {
  const lines = text.split('\n').length
  return (
    <figure className="code">
      <figcaption>
        <span>{label}</span>
        <span className="muted">
          {lines} line{lines === 1 ? '' : 's'} · {new TextEncoder().encode(text).length} bytes
          {hasHidden(text) && <strong className="warn-text"> · contains invisible characters (marked)</strong>}
        </span>
      </figcaption>
      <div className="code-body" tabIndex={0} aria-label={`${label}, exactly as it will run`}>
        <pre className="gutter" aria-hidden="true">
          {Array.from({ length: lines }, (_, index) => index + 1).join('\n')}
        </pre>
        <pre className="source">
          <code>
            {tokens.map((token, index) =>
              token.kind === 'text' ? (
                <Visible key={index} text={token.text} multiline />
              ) : (
                <span key={index} className={`tok-${token.kind}`}>
                  <Visible text={token.text} multiline />
                </span>
              ),
            )}
          </code>
        </pre>
      </div>
    </figure>
  )
}

function Argv({ argv }: { argv: readonly string[] }) {
  return (
    <figure className="code">
      <figcaption>
        <span>argv</span>
        <span className="muted">{argv.length} arguments, passed as they are (no shell)</span>
      </figcaption>
      <ol className="argv">
        {argv.map((arg, index) => (
          <li key={index}>
            <code className={index === 0 ? 'tok-cmd' : arg.startsWith('-') ? 'tok-flag' : undefined}>
              <Visible text={arg} />
            </code>
          </li>
        ))}
      </ol>
    </figure>
  )
}
