export { PagerDutyIncidentChannel } from './incident-channel.js'
