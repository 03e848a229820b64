import { timeOfDay } from '../format'

/** One series of a stacked bar chart: its key in the buckets, its label and its color class. */
export interface Series {
  readonly key: string
  readonly label: string
  readonly className: string
}

/** One bar: when its interval starts, and a count per series. */
export interface Bucket {
  readonly start: number
  readonly counts: Readonly<Record<string, number>>
}

const WIDTH = 600
const HEIGHT = 100
const TOP = 6

/**
 * Stacked bars in hand-written SVG (no chart library: a few rectangles need none), scaled to
 * the busiest interval, with the legend's totals as the text equivalent. The labels are HTML,
 * so the stretched drawing never stretches text.
 */
export function StackedBars({ title, buckets, series }: { title: string; buckets: readonly Bucket[]; series: readonly Series[] }) {
  const max = Math.max(1, ...buckets.map((bucket) => series.reduce((sum, s) => sum + (bucket.counts[s.key] ?? 0), 0)))
  const slot = WIDTH / Math.max(1, buckets.length)
  const bar = Math.max(1, slot * 0.8)
  const scale = (HEIGHT - TOP) / max
  const totals = series.map((s) => ({ ...s, total: buckets.reduce((sum, bucket) => sum + (bucket.counts[s.key] ?? 0), 0) }))
  const summary = `${title}: ${totals.map((s) => `${s.total} ${s.label}`).join(', ')}; busiest interval ${max}`
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-plot">
        <span className="chart-max" aria-hidden="true">
          {max}
        </span>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
          <line x1="0" x2={WIDTH} y1={TOP} y2={TOP} className="grid" />
          <line x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="axis" />
          {buckets.map((bucket, index) => {
            let y = HEIGHT
            return (
              <g key={bucket.start}>
                <title>{`${timeOfDay(new Date(bucket.start).toISOString())}: ${series.map((s) => `${bucket.counts[s.key] ?? 0} ${s.label}`).join(', ')}`}</title>
                <rect x={index * slot} y={0} width={slot} height={HEIGHT} className="hit" />
                {series.map((s) => {
                  const count = bucket.counts[s.key] ?? 0
                  if (count === 0) return null
                  const height = count * scale
                  y -= height
                  return <rect key={s.key} x={index * slot + (slot - bar) / 2} y={y} width={bar} height={height} className={s.className} />
                })}
              </g>
            )
          })}
        </svg>
      </div>
      {buckets.length > 0 && (
        <div className="chart-axis" aria-hidden="true">
          <span>{timeOfDay(new Date(buckets[0]!.start).toISOString())}</span>
          <span>now</span>
        </div>
      )}
      <ul className="legend">
        {totals.map((s) => (
          <li key={s.key}>
            <span className={`swatch ${s.className}`} aria-hidden="true" />
            {s.label} <strong>{s.total}</strong>
          </li>
        ))}
      </ul>
    </figure>
  )
}
