import { createContext, useContext } from 'react'
import type { Directory, Inbox, User } from './types'

/** What every page of a signed-in console knows. */
export interface ConsoleContext {
  readonly user: User
  readonly directory: Directory | undefined
  /** The inbox, polled once for the whole console (the nav's badge and the inbox page). */
  readonly inbox: Inbox | undefined
  readonly inboxError: Error | undefined
  readonly reloadInbox: () => void
}

export const Console = createContext<ConsoleContext | null>(null)

/** The signed-in console's context (inside the shell only). */
export function useConsole(): ConsoleContext {
  const context = useContext(Console)
  if (!context) throw new Error('useConsole outside the signed-in shell')
  return context
}
