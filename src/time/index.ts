export { MAX_TIMER_MS, elapsedMs, timerDelay } from './timer-delay.js'
