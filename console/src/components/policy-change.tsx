import { Link } from '../router'
import { EffectBadge } from './status'
import { Visible } from './visible'

interface PolicyDiff {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly { readonly id: string; readonly fields: readonly string[] }[]
  readonly default: { readonly from: string; readonly to: string } | null
  readonly settings: readonly string[]
}

interface PolicyReplay {
  readonly since: string
  readonly replayed: number
  readonly changed: number
  readonly effects: readonly { readonly from: string; readonly to: string; readonly actions: number }[]
  readonly rules: readonly { readonly rule: string; readonly actions: number }[]
  readonly changes: readonly { readonly id: string; readonly before: string; readonly after: string; readonly responsible: readonly string[] }[]
}

/** Whether a change of effect lets more through (allow, or review where it was deny). */
const loosens = (from: string, to: string) => to === 'allow' || (from === 'deny' && to === 'review')

/**
 * A proposed policy change (an action of kind `policy`, `policy.source: store`), as its facts
 * give it: the diff against the policy in force rule by rule (added, removed, changed with which
 * parts, the default and settings), and beside it what a replay of the stored history under the
 * proposal found (how many actions would be decided differently, from which effect to which, the
 * rules responsible and the actions themselves). The same as `countersign policy diff`.
 */
export function PolicyChange({ facts }: { facts: Record<string, unknown> }) {
  const diff = facts['diff'] as PolicyDiff | undefined
  const replay = facts['replay'] as PolicyReplay | undefined
  if (!diff) return null
  const nothing = diff.added.length + diff.removed.length + diff.changed.length === 0 && !diff.default && diff.settings.length === 0
  return (
    <div className="policy-change">
      <section className="policy-diff" aria-labelledby="policy-diff-title">
        <h3 id="policy-diff-title">Rule by rule</h3>
        {nothing ? (
          <p className="muted">No rule differs from the policy in force.</p>
        ) : (
          <ul className="diff-rules">
            {diff.added.map((id) => (
              <li key={`+${id}`} className="diff-added">
                <span className="diff-mark" aria-hidden="true">+</span> <span className="mono">{id}</span> <span className="diff-what">added</span>
              </li>
            ))}
            {diff.removed.map((id) => (
              <li key={`-${id}`} className="diff-removed">
                <span className="diff-mark" aria-hidden="true">−</span> <span className="mono">{id}</span> <span className="diff-what">removed</span>
              </li>
            ))}
            {diff.changed.map((change) => (
              <li key={`~${change.id}`} className="diff-changed">
                <span className="diff-mark" aria-hidden="true">~</span> <span className="mono">{change.id}</span> <span className="diff-what">changed:</span>{' '}
                {change.fields.map((field) => (
                  <code key={field} className="diff-field">
                    {field}
                  </code>
                ))}
              </li>
            ))}
            {diff.default && (
              <li className={loosens(diff.default.from, diff.default.to) ? 'diff-removed' : 'diff-changed'}>
                <span className="diff-mark" aria-hidden="true">~</span> <span className="diff-what">default</span> <EffectBadge effect={diff.default.from} /> → <EffectBadge effect={diff.default.to} />
              </li>
            )}
            {diff.settings.map((setting) => (
              <li key={setting} className="diff-changed">
                <span className="diff-mark" aria-hidden="true">~</span> <code className="diff-field">{setting}</code> <span className="diff-what">changed</span>
              </li>
            ))}
          </ul>
        )}
        <p className="muted small">
          base <span className="mono">{String(facts['base'] ?? '').slice(0, 12)}</span> → proposed <span className="mono">{String(facts['version'] ?? '').slice(0, 12)}</span>
        </p>
      </section>
      {replay && (
        <section className="policy-replay" aria-labelledby="policy-replay-title">
          <h3 id="policy-replay-title">Replay</h3>
          <p className="replay-total">
            <strong>{replay.changed}</strong> of {replay.replayed} action{replay.replayed === 1 ? '' : 's'} since <time dateTime={replay.since}>{replay.since.slice(0, 10)}</time> would be decided differently
          </p>
          {replay.effects.length > 0 && (
            <ul className="replay-effects">
              {replay.effects.map((pair) => (
                <li key={`${pair.from}>${pair.to}`} className={loosens(pair.from, pair.to) ? 'bad-text' : undefined}>
                  <EffectBadge effect={pair.from} /> → <EffectBadge effect={pair.to} /> <strong>{pair.actions}</strong>
                  {loosens(pair.from, pair.to) && ' · loosens'}
                </li>
              ))}
            </ul>
          )}
          {replay.rules.length > 0 && (
            <p className="small">
              <span className="muted">responsible: </span>
              {replay.rules.map((rule, index) => (
                <span key={rule.rule}>
                  {index > 0 && ', '}
                  <span className="mono">{rule.rule}</span> ({rule.actions})
                </span>
              ))}
            </p>
          )}
          {replay.changes.length > 0 && (
            <details className="replay-changes">
              <summary>
                {replay.changes.length === replay.changed ? 'The' : `The first ${replay.changes.length} of the`} changed action{replay.changed === 1 ? '' : 's'}
              </summary>
              <ul>
                {replay.changes.map((change) => (
                  <li key={change.id}>
                    <Link to={`/actions/${change.id}`} className="mono">
                      {change.id}
                    </Link>{' '}
                    <EffectBadge effect={change.before} /> → <EffectBadge effect={change.after} />{' '}
                    <span className="muted">
                      <Visible text={change.responsible.join(', ')} />
                    </span>
                  </li>
                ))}
              </ul>
            </details>
          )}
        </section>
      )}
    </div>
  )
}
