import { PolicyChange } from './policy-change'
import { Visible } from './visible'

interface SqlStatement {
  type: string
  command?: string
  object: string
  tables: string[]
  targets?: string[]
  has_where: boolean
  returning: boolean
  read_only: boolean
}

/**
 * What the analyzer found the action does, as an approver needs it: for SQL each statement with
 * its tables and a missing WHERE called out; for shell each program that would run with its
 * flags; for other kinds the facts as they are.
 */
export function Impact({ kind, impact }: { kind: string; impact: { summary: string; highlights: string[]; facts: unknown } }) {
  const facts = (impact.facts ?? null) as Record<string, unknown> | null
  return (
    <div className="impact">
      {impact.summary && (
        <p className="impact-summary">
          <Visible text={impact.summary} />
        </p>
      )}
      {impact.highlights.length > 0 && (
        <ul className="highlights">
          {impact.highlights.map((highlight, index) => (
            <li key={index}>
              <Visible text={highlight} />
            </li>
          ))}
        </ul>
      )}
      {facts && kind === 'sql' && <SqlFacts facts={facts} />}
      {facts && kind === 'shell' && <ShellFacts facts={facts} />}
      {facts && kind === 'policy' && <PolicyChange facts={facts} />}
      {facts && (
        <details className="facts-json">
          <summary>All facts the policy read</summary>
          <pre>
            <Visible text={JSON.stringify(facts, null, 2)} multiline />
          </pre>
        </details>
      )}
      {!facts && <p className="muted">No analyzer for {kind} actions: the policy saw no facts.</p>}
    </div>
  )
}

function Flags({ flags }: { flags: [string, boolean, 'bad' | 'ok' | 'info'][] }) {
  const shown = flags.filter(([, on]) => on)
  if (shown.length === 0) return null
  return (
    <p className="flags">
      {shown.map(([name, , tone]) => (
        <span key={name} className={`flag flag-${tone}`}>
          {name}
        </span>
      ))}
    </p>
  )
}

function SqlFacts({ facts }: { facts: Record<string, unknown> }) {
  const statements = (Array.isArray(facts['statements']) ? facts['statements'] : []) as SqlStatement[]
  const parseError = typeof facts['parse_error'] === 'string' ? facts['parse_error'] : ''
  return (
    <>
      <Flags
        flags={[
          ['read-only', facts['read_only'] === true, 'ok'],
          ['schema change (DDL)', facts['ddl'] === true, 'bad'],
          ['privileges (DCL)', facts['dcl'] === true, 'bad'],
          [`does not parse: ${parseError}`, parseError !== '', 'bad'],
        ]}
      />
      {statements.length > 0 && (
        <table className="dense">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">statement</th>
              <th scope="col">object</th>
              <th scope="col">tables</th>
              <th scope="col">rows limited</th>
            </tr>
          </thead>
          <tbody>
            {statements.map((statement, index) => {
              const scoped = ['update', 'delete', 'merge'].includes(statement.type)
              return (
                <tr key={index}>
                  <td className="num">{index + 1}</td>
                  <td>
                    <code className={statement.read_only ? undefined : 'tok-danger'}>{statement.command ?? statement.type.toUpperCase()}</code>
                    {statement.returning && <span className="muted"> · RETURNING</span>}
                  </td>
                  <td>{statement.object || <span className="muted">—</span>}</td>
                  <td>
                    <code>
                      <Visible text={statement.tables.join(', ') || '—'} />
                    </code>
                  </td>
                  <td>{scoped ? statement.has_where ? <span className="ok-text">WHERE</span> : <strong className="bad-text">no WHERE: every row</strong> : <span className="muted">n/a</span>}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </>
  )
}

function ShellFacts({ facts }: { facts: Record<string, unknown> }) {
  const commands = (Array.isArray(facts['commands']) ? facts['commands'] : []) as { program: string; path: string; args: string[]; sudo: boolean }[]
  const redirects = (Array.isArray(facts['redirects']) ? facts['redirects'] : []) as { op: string; target: string }[]
  const parseError = typeof facts['parse_error'] === 'string' ? facts['parse_error'] : ''
  return (
    <>
      <Flags
        flags={[
          ['command substitution', facts['has_substitution'] === true, 'info'],
          ['program known only at run time', facts['dynamic'] === true, 'bad'],
          [`does not parse: ${parseError}`, parseError !== '', 'bad'],
          ['runs as another user (sudo)', commands.some((command) => command.sudo), 'bad'],
        ]}
      />
      {commands.length > 0 && (
        <table className="dense">
          <thead>
            <tr>
              <th scope="col">program</th>
              <th scope="col">flags</th>
              <th scope="col">arguments</th>
            </tr>
          </thead>
          <tbody>
            {commands.map((command, index) => (
              <tr key={index}>
                <td>
                  <code className="tok-cmd">
                    <Visible text={command.path || command.program} />
                  </code>
                  {command.sudo && <span className="flag flag-bad">sudo</span>}
                </td>
                <td>
                  <code className="tok-flag">
                    <Visible text={command.args.filter((arg) => arg.startsWith('-')).join(' ')} />
                  </code>
                </td>
                <td>
                  <code>
                    <Visible text={command.args.filter((arg) => !arg.startsWith('-')).join(' ')} />
                  </code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {redirects.length > 0 && (
        <p className="muted">
          writes or reads files:{' '}
          {redirects.map((redirect, index) => (
            <code key={index}>
              {redirect.op} <Visible text={redirect.target} />{' '}
            </code>
          ))}
        </p>
      )}
    </>
  )
}
