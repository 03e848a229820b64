export { startPgListener, wireGateway } from './listener.js'
export type { PgListener, PgListenerOptions } from './listener.js'
export { lexingSettingChange, splitStatements } from './statements.js'
