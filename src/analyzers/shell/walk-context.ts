import type { Node } from 'web-tree-sitter'
import type { FoundCommand, PipeSlot } from './found-command.js'

/** What the walk tracks per syntax tree: node ids are only unique within one tree. */
export interface Scope {
  /** Words tree-sitter hung on a redirect (`echo a > f b`) that bash passes to the command. */
  readonly extraArgs: Map<number, Node[]>
  readonly byNode: Map<number, FoundCommand>
  /** Where the tree's text was `<>` (read-write) before the grammar's repair: see `parseWithRepairs`. */
  readonly readWrite: ReadonlySet<number>
}

/** Where the walk is: how deep in code strings, as whom, in which pipeline element, in which tree. */
export interface Context {
  /** How many code strings deep this is. */
  readonly depth: number
  readonly runsAs: string | null
  readonly pipe: PipeSlot | null
  readonly scope: Scope
}

/** What a deferred feed needs: its context, and the here-document body to walk if it turns out to be data. */
export interface FeedSource {
  readonly ctx: Context
  readonly data: Node | null
  readonly level: number
}

/** A fresh scope, for each syntax tree. */
export function newScope(readWrite: ReadonlySet<number> = new Set()): Scope {
  return { extraArgs: new Map(), byNode: new Map(), readWrite }
}

/** The context of a payload's top level. */
export function top(): Context {
  return { depth: 0, runsAs: null, pipe: null, scope: newScope() }
}

/** Inside a command's words or a compound command, commands are no longer pipeline elements themselves. */
export function noPipe(ctx: Context): Context {
  return ctx.pipe === null ? ctx : { ...ctx, pipe: null }
}

/** The context for code fed to `shell` (`sudo sh <<EOF`): run as the user it elevates to, if any. */
export function fedTo(shell: FoundCommand, ctx: Context): Context {
  return { ...noPipe(ctx), runsAs: shell.elevates ?? shell.runsAs }
}
