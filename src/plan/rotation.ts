// The plan of `rotate-credentials`: a deploy's plan that may change the passwords (and the pull
// secrets that carry the client token's) and nothing else.

import { ActionError } from '../azure/errors.js'
import { nameFromId, type ObservedState } from '../observe.js'
import type { Settings } from '../settings.js'
import { checkPreflight, planDeploy, protectedSettingsRecord } from './deploy.js'
import { isWrite, summarizeStep, type Plan } from './model.js'

/**
 * The plan of `rotate-credentials`: a new password in the slot the instance does not use and the
 * extension's protected settings sent again with it, nothing else. Anything else that differs
 * from the inputs stops the run before any write: a scheduled rotation whose inputs lag behind
 * the deploy workflow's must not revert that deploy, and it has only the permissions to rotate.
 */
export function planRotation(settings: Settings, observed: ObservedState): Plan {
  const { connectedRegistry: name, extensionName, cluster } = settings.target
  const deployFirst =
    "Run the step with 'operation: deploy' first: rotate-credentials only rotates the password of a deployed connected registry."
  // The registry and cluster are checked first, so a wrong name is reported as such.
  checkPreflight(settings, observed)
  if (!observed.connectedRegistry) {
    throw new ActionError(`Connected registry '${name}' does not exist. ${deployFirst}`)
  }
  const extension = observed.extension
  if (!extension) {
    throw new ActionError(
      `Extension '${extensionName}' does not exist on cluster '${cluster}'. ${deployFirst}`
    )
  }
  if (extension.provisioningState !== 'Succeeded') {
    throw new ActionError(
      `Extension '${extensionName}' on cluster '${cluster}' is in state ${extension.provisioningState}. Run the step with 'operation: deploy' to repair it (a repair sends a new password too).`
    )
  }

  const { rotateOnly } = settings.behaviour
  const plan = planDeploy(settings, observed, {
    rotate: rotateOnly !== 'client-token',
    rotateClientToken: rotateOnly !== 'sync-token'
  })
  const drift = plan.steps
    .filter((step) => {
      const { kind } = step.detail
      if (kind === 'sync-password' || kind === 'client-password' || kind === 'pull-secret')
        return false
      if (step.detail.kind === 'extension') return step.changes.some((c) => !c.sensitive)
      return isWrite(step)
    })
    .map(summarizeStep)
  // The protected settings other than the password (TLS material, parent endpoint) are resent
  // from the inputs: when they differ from what the last deploy recorded, they are drift too.
  const tokenName =
    nameFromId(observed.connectedRegistry.parent?.syncProperties?.tokenId, 'tokens') ?? name
  const record = protectedSettingsRecord(settings, observed, tokenName)
  if (record.recorded && !record.current) {
    drift.push(
      `Extension '${extensionName}': the protected settings (TLS material or parent endpoint) differ from the ones the last deploy sent`
    )
  }
  if (drift.length) {
    throw new ActionError(
      `rotate-credentials changes only passwords (and the pull secrets that carry the client token's), but the deployment differs from the inputs: ${drift.join('; ')}. Nothing was changed. Run 'operation: deploy' (with 'rotate: true' to rotate in the same run), or give this step the same inputs as the deploy.`
    )
  }
  return plan
}
