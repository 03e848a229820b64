import { useCallback, useEffect, useRef, useState } from 'react'

/** The current time, ticking every `ms` (for countdowns and "ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), ms)
    return () => window.clearInterval(timer)
  }, [ms])
  return now
}

/** Loads now and every `ms` after (while the page is visible); `reload` loads at once. */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, ms: number, key: string): { data: T | undefined; error: Error | undefined; reload: () => void; at: number | undefined } {
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; at: number | undefined }>({ data: undefined, error: undefined, at: undefined })
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  useEffect(() => {
    const controller = new AbortController()
    let timer: number | undefined
    const run = async () => {
      try {
        const data = await loadRef.current(controller.signal)
        if (!controller.signal.aborted) setState({ data, error: undefined, at: Date.now() })
      } catch (error) {
        if (!controller.signal.aborted) setState((previous) => ({ ...previous, error: error as Error }))
      }
      if (!controller.signal.aborted && ms > 0) timer = window.setTimeout(run, document.hidden ? ms * 5 : ms)
    }
    void run()
    return () => {
      controller.abort()
      window.clearTimeout(timer)
    }
  }, [ms, key, tick])
  useEffect(() => setState({ data: undefined, error: undefined, at: undefined }), [key])
  const reload = useCallback(() => setTick((n) => n + 1), [])
  return { ...state, reload }
}

/** Whether a key event is typing (in a field), where single-key shortcuts must not fire. */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null
  return !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
}

/** Single-key shortcuts (`j`, `k`, `/`…) while not typing, without modifiers. */
export function useKeys(bindings: Record<string, (event: KeyboardEvent) => void>): void {
  const ref = useRef(bindings)
  ref.current = bindings
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.metaKey || event.ctrlKey || event.altKey || isTyping(event)) return
      const handler = ref.current[event.key]
      if (handler) {
        event.preventDefault()
        handler(event)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}

/**
 * j/k (and arrows) move the focus through the rows of a list (elements with `data-row`); Enter
 * follows the focused row's link, as it does for any focused link.
 */
export function useRowKeys(): void {
  useKeys({
    j: () => moveRow(1),
    k: () => moveRow(-1),
  })
}

function moveRow(step: number): void {
  const rows = [...document.querySelectorAll<HTMLElement>('[data-row]')]
  if (rows.length === 0) return
  const index = rows.indexOf(document.activeElement as HTMLElement)
  const next = rows[index === -1 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, index + step))]
  next?.focus()
  next?.scrollIntoView({ block: 'nearest' })
}
