import { latency } from '../format'
import { Visible } from './visible'

const SHOWN_ROWS = 100

/** The outcome of an executed action: how it ended and what it returned (rows, output, a response). */
export function Result({ result }: { result: Record<string, unknown> }) {
  const columns = Array.isArray(result['columns']) ? (result['columns'] as unknown[]) : undefined
  const rows = Array.isArray(result['rows']) ? (result['rows'] as unknown[][]) : undefined
  const facts: [string, string][] = []
  if (typeof result['duration_ms'] === 'number') facts.push(['took', latency(result['duration_ms'])])
  if (typeof result['exit_code'] === 'number') facts.push(['exit code', String(result['exit_code'])])
  if (typeof result['signal'] === 'string') facts.push(['signal', result['signal']])
  if (typeof result['http_status'] === 'number') facts.push(['HTTP status', String(result['http_status'])])
  if (typeof result['row_count'] === 'number') facts.push(['rows', String(result['row_count'])])
  if (typeof result['executor'] === 'string') facts.push(['executed by', result['executor']])
  if (typeof result['reported_by'] === 'string') facts.push(['reported by', result['reported_by']])
  const status = String(result['status'] ?? 'unknown')
  return (
    <div className="result">
      <p>
        <span className={`badge badge-${status === 'succeeded' ? 'ok' : status === 'failed' ? 'bad' : 'off'}`}>{status}</span>
        {facts.map(([name, value]) => (
          <span key={name} className="result-fact">
            <span className="muted">{name}</span> <Visible text={value} />
          </span>
        ))}
      </p>
      {typeof result['error'] === 'string' && (
        <p className="bad-text">
          <Visible text={result['error']} />
        </p>
      )}
      {columns && rows && (
        <div className="scroll-x">
          <table className="dense">
            <thead>
              <tr>
                {columns.map((column, index) => (
                  <th key={index} scope="col">
                    <Visible text={String(column)} />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, SHOWN_ROWS).map((row, index) => (
                <tr key={index}>
                  {row.map((cell, column) => (
                    <td key={column}>{cell === null ? <span className="muted">NULL</span> : <Visible text={typeof cell === 'string' ? cell : JSON.stringify(cell)} />}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > SHOWN_ROWS && <p className="muted">{rows.length - SHOWN_ROWS} more rows (the API has them all)</p>}
        </div>
      )}
      {(['stdout', 'stderr', 'output', 'body'] as const).map((stream) =>
        typeof result[stream] === 'string' && result[stream] !== '' ? (
          <figure key={stream} className="code">
            <figcaption>
              <span>{stream}</span>
            </figcaption>
            <pre className="output">
              <Visible text={result[stream] as string} multiline />
            </pre>
          </figure>
        ) : null,
      )}
      {result['truncated'] === true && <p className="muted">Cut at the connector's limit.</p>}
    </div>
  )
}
