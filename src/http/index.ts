export { createApp } from './app.js'
export type { AppOptions } from './app.js'
export { Metrics } from './metrics.js'
