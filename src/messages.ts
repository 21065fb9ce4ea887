// The texts the pipeline core says to the user about time, permissions and outcomes, in one
// place: what happened, why, and what to do.

const seconds = (ms: number): string => `${Math.max(0, Math.round(ms / 1000))}s`

export function conflictWaitNotice(
  method: string,
  resource: string,
  azureMessage: string,
  remainingMs: number
): string {
  return `Azure answered 409 Conflict to ${method} '${resource}': ${azureMessage} Waiting for the other operation to finish, then writing again (at most ${seconds(remainingMs)}, what is left of 'timeout').`
}

export function conflictRetryNotice(method: string, resource: string, delayMs: number): string {
  return `'${resource}' is still busy with another operation: ${method} again in ${seconds(delayMs)}.`
}

export function retryWaitNotice(
  method: string,
  resource: string,
  status: number,
  azure: { code: string; message: string },
  waitMs: number | undefined
): string {
  const reason =
    status === 429
      ? 'Azure Resource Manager is throttling this identity'
      : 'Azure is unavailable for the moment'
  const code = azure.code ? ` ${azure.code}` : ''
  const when =
    waitMs === undefined
      ? 'repeating the request after a growing pause (at most 5 attempts)'
      : `repeating the request in ${seconds(waitMs)}, as its Retry-After asks`
  return `Azure answered ${status}${code} to ${method} '${resource}' (${reason}): ${when}.`
}

/** The step's deadline ran out in `phase`. */
export function timeoutRanOut(phase: string, timeoutMs: number): string {
  return `The step's 'timeout' (${seconds(timeoutMs)}, from the step's start to its last output) ran out during '${phase}'.`
}

export const TIMEOUT_FIX =
  "Re-run the step with a longer 'timeout' once the cause is gone: the action continues from what already exists."

/** What a re-run does after the run was cancelled in `phase`. */
export function cancelledNotice(signal: string, phase: string, wrote: boolean): string {
  const rerun = wrote
    ? 'Some changes were applied: a re-run reads the current state and applies only what is still missing (a password generated but not delivered is replaced in the unused slot).'
    : 'Nothing was written yet: a re-run starts from the beginning.'
  return `The run was cancelled (${signal}) during '${phase}'. ${rerun}`
}

export function missingPermissions(
  missing: { action: string; scope: string; why: string }[]
): string {
  const lines = missing.map((m) => `${m.action} on ${m.scope} (${m.why})`)
  return `The signed-in identity lacks ${missing.length === 1 ? 'a permission' : `${missing.length} permissions`} this run needs; nothing was changed: ${lines.join('; ')}. Grant them (a role with these actions on those scopes; see docs/reference.md#permissions) and re-run.`
}

export function permissionsUnreadable(scope: string, reason: string): string {
  return `Could not read the identity's permissions on ${scope} (${reason}); going on without the permission check: a missing permission will stop the run at the write that needs it. Granting Microsoft.Authorization/permissions/read (e.g. the Reader role) lets the action check before writing.`
}

export const NO_CONNECTION_STRING_UNCHANGED =
  "No connection string is output: this run did not send one to the extension (nothing had to change), and Azure never returns one that was sent. Run with 'rotate: true' (or operation 'rotate-credentials') to generate a new password and output its connection string."

export function appliedBeforeFailure(count: number): string {
  return count
    ? `${count} change(s) were applied before the failure (see the summary); a re-run continues from there.`
    : 'No change was applied before the failure.'
}

/** Azure removes an extension only once the cluster's agents confirm it. */
export function extensionStillDeleting(
  extension: string,
  cluster: string,
  forceDelete: boolean
): string {
  return forceDelete
    ? `Extension '${extension}' on cluster '${cluster}' was still being deleted with force-delete.`
    : `Extension '${extension}' on cluster '${cluster}' was still being deleted: Azure waits for the cluster to remove it. Check that the cluster is Connected (az connectedk8s show) and re-run, or set 'force-delete: true' to remove the extension from Azure without the cluster (its release then stays on the cluster until you uninstall it there).`
}

export function teardownIncomplete(resources: string[]): string {
  return `The teardown did not finish: ${resources.join(', ')} still exist(s) after being deleted (a run that overlaps this one may have created it again). Re-run the teardown once no deploy of this connected registry is running; a concurrency group on the workflows avoids overlapping runs.`
}

/** A pending extension operation on an Offline cluster cannot finish: Azure waits for its agents. */
export function extensionStuckOffline(
  extension: string,
  state: string,
  cluster: string,
  connectivity: string
): string {
  return `Extension '${extension}' is ${state} and cluster '${cluster}' is ${connectivity}: Azure finishes that operation only once the cluster's Arc agents reconnect, so waiting for it cannot help. Bring the cluster back (kubectl get pods -n azure-arc) and re-run, or, for a teardown, set 'force-delete: true' to remove the extension from Azure now (its release then stays on the cluster until you uninstall it there).`
}

/** What was in flight when the deadline ended it. */
export const notFinished = (what: string): string => `${what} had not finished.`

export function noReportFromUpdatedInstance(lastState: string, hint: string): string {
  return `No report from the updated instance yet: the registry still shows what the instance before the update reported (${lastState}). ${hint}`
}

/** What the connected registry's status codes mean, and the documented fix. */
export const STATUS_FIXES: Record<string, string> = {
  UNAUTHORIZED:
    'The instance presents a sync-token password that is wrong or was regenerated. Re-run the step: the action generates a fresh password into the unused slot and updates the extension. Do not regenerate the slot in use by hand.',
  ALREADY_ACTIVATED:
    'Another instance activated this connected registry (typically a deleted and recreated extension, or the same connected registry on another cluster). Re-run the step: the action deactivates a registry whose instance no longer runs. Give each cluster its own connected-registry name.',
  DISKERROR:
    'The instance cannot write to its volume (permissions, or the disk is full). Check the PVC (kubectl get pvc -n connected-registry) and the storage-class/storage-size inputs; lower log-level to reduce logs.',
  DENIED:
    "The sync token's scope map (or, for a nested registry, an ancestor's sync scope map) does not grant what the instance needs: the description names the repository or gateway and the missing action. Re-run the deploy: it converges the sync scope map, and the ancestors' grants, to the inputs' repositories and mode. A scope map the action did not create is left unchanged (the run warns): add the missing actions to it yourself."
}
