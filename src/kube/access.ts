// Whether the job gave the action the cluster's Kubernetes API: an explicit `kubeconfig` input,
// or a `KUBECONFIG` the job left (azure/k8s-set-context, a self-hosted runner). Without either
// the cluster steps are skipped and the action says how to do them by hand.
import fs from 'node:fs'
import type { KubectlOptions } from './kubectl.js'
import { TEXT } from './messages.js'

export interface ClusterAccessInputs {
  /** Path of a kubeconfig file (the `kubeconfig` input). */
  kubeconfig?: string
  /** Context to use instead of the kubeconfig's current one. */
  context?: string
}

/** kubectl options when the cluster is reachable, undefined when the job gave no access. */
export function clusterAccess(
  inputs: ClusterAccessInputs,
  env: NodeJS.ProcessEnv = process.env,
  cacheDir?: string
): KubectlOptions | undefined {
  const explicit = inputs.kubeconfig?.trim()
  const extra = {
    ...(inputs.context ? { context: inputs.context } : {}),
    ...(cacheDir ? { cacheDir } : {})
  }
  if (explicit) {
    if (!fs.existsSync(explicit) || !fs.statSync(explicit).isFile())
      throw new Error(TEXT.kubeconfigNotAFile(explicit))
    return { kubeconfig: explicit, ...extra }
  }
  // kubectl reads KUBECONFIG itself (it may list several files); nothing to pass.
  if (env.KUBECONFIG?.trim()) return extra
  return undefined
}
