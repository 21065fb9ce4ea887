// What every phase of a run works with: Azure (behind its port), the cluster's API when the job
// gave access, the settings, the log and the step's one deadline.

import type { Deadline } from './deadline.js'
import type { KubernetesCluster } from './kube/port.js'
import type { AzurePort, Log } from './ports.js'
import type { Settings } from './settings.js'

export interface RunContext {
  azure: AzurePort
  settings: Settings
  log: Log
  deadline: Deadline
  /** The cluster's Kubernetes API, when the job gave access (KUBECONFIG or input 'kubeconfig'). */
  kube?: KubernetesCluster
}
