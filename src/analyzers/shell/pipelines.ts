import { chainOf } from './found-command.js'
import type { FoundCommand, PipeSlot } from './found-command.js'

/** Text on its way into a pipeline element's standard input (`echo 'rm x' | sh`, `cat <<EOF | sh`). */
export interface Feed<T> {
  /** The element whose output it is. */
  readonly index: number
  readonly text: string
  /** What the caller needs to act on it later. */
  readonly extra: T
}

/** A feed once its pipeline is complete: `reader` is the shell after it that reads it as code, if any. */
export interface SettledFeed<T> {
  readonly feed: Feed<T>
  readonly reader: FoundCommand | undefined
}

/**
 * The pipelines met while walking: which commands sit in which element, and the text each
 * element feeds the next. Whether such text is code depends on elements not walked yet, so
 * feeds wait until their pipeline is closed.
 */
export class Pipelines {
  /** For each pipeline id, per element, the commands in it (a wrapper and what it runs). */
  readonly elements = new Map<number, FoundCommand[][]>()
  private readonly open = new Set<number>()
  private readonly feeds = new Map<number, Feed<unknown>[]>()

  /** Starts a pipeline and returns its id. */
  start(): number {
    const id = this.elements.size + 1
    this.elements.set(id, [])
    this.open.add(id)
    return id
  }

  /** Reopens `consumer`'s pipeline, or starts one with it at its head, for a pipeline that continues after a here-document. */
  reopen(consumer: FoundCommand): PipeSlot {
    if (consumer.pipe !== null) {
      this.open.add(consumer.pipe.id)
      return consumer.pipe
    }
    const slot: PipeSlot = { id: this.start(), index: 0 }
    for (const found of chainOf(consumer)) {
      found.pipe = slot
      this.join(found)
    }
    return slot
  }

  /** Adds a command to its element. */
  join(found: FoundCommand): void {
    if (found.pipe === null) return
    const elements = this.elements.get(found.pipe.id) ?? []
    const element = elements[found.pipe.index] ?? []
    element.push(found)
    elements[found.pipe.index] = element
    this.elements.set(found.pipe.id, elements)
  }

  /** The shell reading stdin in the element after `pipe`, as far as walked. */
  readerAfter(pipe: PipeSlot): FoundCommand | undefined {
    return this.elements.get(pipe.id)?.[pipe.index + 1]?.find((found) => found.readsStdin)
  }

  isOpen(id: number): boolean {
    return this.open.has(id)
  }

  /** Keeps text fed by element `pipe.index` until the pipeline is closed. */
  defer<T>(pipe: PipeSlot, text: string, extra: T): void {
    const list = this.feeds.get(pipe.id) ?? []
    list.push({ index: pipe.index, text, extra })
    this.feeds.set(pipe.id, list)
  }

  /** Marks a pipeline complete and returns its waiting feeds, each with the shell that reads it, if any. */
  close<T>(id: number): SettledFeed<T>[] {
    this.open.delete(id)
    const feeds = (this.feeds.get(id) ?? []) as Feed<T>[]
    this.feeds.delete(id)
    return feeds.map((feed) => ({ feed, reader: this.readerAfter({ id, index: feed.index }) }))
  }
}
