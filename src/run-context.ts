// What every phase of a run works with: Azure (behind its port), the settings, the log and the
// step's one deadline.

import type { Deadline } from './deadline.js'
import type { AzurePort, Log } from './ports.js'
import type { Settings } from './settings.js'

export interface RunContext {
  azure: AzurePort
  settings: Settings
  log: Log
  deadline: Deadline
}
