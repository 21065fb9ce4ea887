// The pipeline's logic through Azure's port, on a virtual clock: what it writes and in which
// order, which password slot it uses, how it waits, repairs a lost race, stops at the step's
// deadline and checks permissions before the first write. Runs in milliseconds.

import { describe, expect, it } from '@jest/globals'
import { settingsFor } from '../../__fixtures__/plan-world.js'
import { DeadlineExceeded } from '../../src/deadline.js'
import { isWrite } from '../../src/plan/model.js'
import { runOperation, type Progress } from '../../src/pipeline.js'
import { azureError, FakeAzure, FakeClock, runContext, SUB } from './fake-azure.js'

const REGISTRY_RG = `/subscriptions/${SUB}/resourcegroups/edge-rg`

function site(inputs: Record<string, string> = {}) {
  const azure = new FakeAzure(new FakeClock())
  const settings = settingsFor({ 'poll-interval': '10', timeout: '600', ...inputs })
  return { azure, settings, run: runContext(azure, settings) }
}

const fresh = (): Progress => ({ final: {}, applied: [] })

async function deploy(azure: FakeAzure, inputs: Record<string, string> = {}) {
  const settings = settingsFor({ 'poll-interval': '10', timeout: '600', ...inputs })
  const run = runContext(azure, settings)
  const progress = fresh()
  const plan = await runOperation(run, progress)
  return { plan, progress, log: run.log.lines }
}

describe('deploy through the port', () => {
  it('writes a first deploy in order: scope map, token, connected registry, password1, extension', async () => {
    const { azure } = site()
    const { progress } = await deploy(azure)
    expect(azure.writes()).toEqual([
      'PUT scopeMap edge01reg',
      'PUT token edge01reg',
      'PUT connectedRegistry edge01reg',
      'POST generateCredentials password1',
      'PUT extension edge01reg'
    ])
    expect(progress.final.passwordSlot).toBe('password1')
    expect(progress.final.connectedRegistry?.connectionState).toBe('Online')
    // The extension received the password Azure generated, in the connection string.
    const password = azure.tokens.get('edge01reg')?.values.password1
    expect(azure.extension?.protectedSettings?.connectionString).toContain(
      `SyncTokenPassword=${password};`
    )
  })

  it('changes nothing on an identical re-run, and reads no permissions', async () => {
    const { azure } = site()
    await deploy(azure)
    const before = azure.calls.length
    const { plan, log } = await deploy(azure)
    expect(plan.changed).toBe(false)
    expect(azure.calls.slice(before).filter((c) => !c.startsWith('GET'))).toEqual([])
    expect(azure.calls.slice(before).some((c) => c.startsWith('GET permissions'))).toBe(false)
    expect(log.join('\n')).not.toMatch(/Wait until Online/)
  })

  it('rotates into the other slot and revokes the old one only once Online on the new', async () => {
    const { azure } = site()
    await deploy(azure)
    const old = azure.tokens.get('edge01reg')?.values.password1
    azure.calls.length = 0
    const { progress } = await deploy(azure, {
      operation: 'rotate-credentials',
      'revoke-old-password': 'true'
    })
    expect(azure.writes()).toEqual([
      'POST generateCredentials password2',
      'PATCH extension edge01reg',
      'POST generateCredentials password1'
    ])
    // The revocation comes after the registry was seen Online with password2.
    const revokedAt = azure.calls.indexOf('POST generateCredentials password1')
    expect(azure.calls.slice(0, revokedAt)).toContain('GET connectedRegistry edge01reg')
    expect(progress.final.passwordSlot).toBe('password2')
    expect(azure.tokens.get('edge01reg')?.values.password1).not.toBe(old)
  })

  it('repairs once when another party regenerates the slot in use during the wait', async () => {
    const { azure } = site()
    let raced = false
    azure.afterWrite = (call) => {
      if (call === 'PUT extension edge01reg' && !raced) {
        raced = true
        azure.regenerate('edge01reg', 'password1')
      }
    }
    const { progress, log } = await deploy(azure)
    expect(azure.writes()).toEqual([
      'PUT scopeMap edge01reg',
      'PUT token edge01reg',
      'PUT connectedRegistry edge01reg',
      'POST generateCredentials password1',
      'PUT extension edge01reg',
      'POST generateCredentials password2',
      'PATCH extension edge01reg'
    ])
    expect(log.join('\n')).toMatch(/UNAUTHORIZED.*repairing once with a new password/)
    expect(progress.final.passwordSlot).toBe('password2')
    expect(progress.final.connectedRegistry?.connectionState).toBe('Online')
  })

  it('fails with the cause when the repair loses the race too', async () => {
    const { azure } = site()
    azure.afterWrite = (call) => {
      if (call === 'PUT extension edge01reg') azure.regenerate('edge01reg', 'password1')
      if (call === 'PATCH extension edge01reg') azure.regenerate('edge01reg', 'password2')
    }
    await expect(deploy(azure)).rejects.toThrow(/UNAUTHORIZED/)
    expect(azure.writes().filter((w) => w.includes('extension'))).toHaveLength(2)
  })

  it('waits out an extension another operation is changing before planning', async () => {
    const { azure } = site()
    await deploy(azure)
    // Another run's update is under way: Updating for provisioningMs.
    await azure.startExtensionUpdate(
      { resourceGroup: 'edge-rg', name: 'edge-cluster-01' },
      'edge01reg',
      {},
      {}
    )
    azure.calls.length = 0
    const { plan, log } = await deploy(azure)
    expect(log.join('\n')).toMatch(/is Updating \(another operation is running on it\); waiting/)
    expect(plan.changed).toBe(false)
  })
})

describe('one deadline', () => {
  it('ends a registry that never comes Online at the timeout, naming the phase', async () => {
    const { azure } = site({ timeout: '60' })
    azure.activationMs = 10 * 60_000
    const start = azure.clock.now()
    const progress = fresh()
    const run = runContext(azure, settingsFor({ 'poll-interval': '10', timeout: '60' }))
    const failure = await runOperation(run, progress).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(DeadlineExceeded)
    expect((failure as Error).message).toMatch(
      /^The step's 'timeout' \(60s, from the step's start to its last output\) ran out during 'Wait until Online'\. .*did not come Online/
    )
    expect(azure.clock.now() - start).toBeLessThanOrEqual(60_000)
    // What was applied before the failure is known to the outputs and the summary.
    expect(progress.applied.filter(isWrite).map((s) => s.detail.kind)).toEqual([
      'scope-map',
      'sync-token',
      'connected-registry',
      'sync-password',
      'extension'
    ])
  })

  it('aborts a stuck long-running operation at the deadline, and the waits share the time', async () => {
    const { azure } = site({ timeout: '30' })
    azure.stuck = 'PUT connectedRegistry edge01reg'
    const start = azure.clock.now()
    const run = runContext(azure, settingsFor({ 'poll-interval': '10', timeout: '30' }))
    const progress = fresh()
    await expect(runOperation(run, progress)).rejects.toThrow(
      /ran out during 'Apply'\. Creating Connected registry 'edge01reg' had not finished\./
    )
    expect(azure.clock.now() - start).toBe(30_000)
    expect(progress.applied.map((s) => s.detail.kind)).toEqual(['scope-map', 'sync-token'])
  })
})

describe('permission preflight', () => {
  it('fails before any write, naming every missing action and its scope', async () => {
    const { azure, run } = site()
    azure.permissions.set(REGISTRY_RG, [
      {
        actions: [
          'Microsoft.ContainerRegistry/*',
          'Microsoft.Kubernetes/connectedClusters/read',
          'Microsoft.KubernetesConfiguration/extensions/*'
        ],
        notActions: [
          'Microsoft.KubernetesConfiguration/extensions/write',
          'Microsoft.ContainerRegistry/registries/tokens/write'
        ]
      }
    ])
    const failure = (await runOperation(run, fresh()).catch((error: unknown) => error)) as Error
    expect(failure.message).toMatch(/lacks 2 permissions this run needs; nothing was changed/)
    expect(failure.message).toContain(
      `Microsoft.KubernetesConfiguration/extensions/write on /subscriptions/${SUB}/resourceGroups/edge-rg`
    )
    expect(failure.message).toContain('Microsoft.ContainerRegistry/registries/tokens/write on')
    expect(azure.writes()).toEqual([])
  })

  it('says so and goes on when the permissions read itself is denied', async () => {
    const { azure, run } = site()
    azure.permissions.set(
      REGISTRY_RG,
      azureError(403, 'AuthorizationFailed', 'no Microsoft.Authorization/permissions/read')
    )
    await runOperation(run, fresh())
    expect(run.log.lines.join('\n')).toMatch(
      /warning: Could not read the identity's permissions on .*edge-rg \(Azure error AuthorizationFailed, HTTP 403\); going on/
    )
    expect(azure.writes()).toHaveLength(5)
  })

  it('asks for deactivate only when the plan deactivates', async () => {
    const { azure, run } = site()
    azure.permissions.set(REGISTRY_RG, [
      {
        actions: ['*'],
        notActions: ['Microsoft.ContainerRegistry/registries/connectedRegistries/deactivate/action']
      }
    ])
    await runOperation(run, fresh())
    expect(azure.writes()).toHaveLength(5)
  })
})

describe('the connection string output', () => {
  it('explains why an unchanged run outputs none', async () => {
    const { azure } = site()
    await deploy(azure)
    const { progress, log } = await deploy(azure, { 'output-connection-string': 'true' })
    expect(progress.connectionString).toBeUndefined()
    expect(log.join('\n')).toMatch(/No connection string is output: this run did not send one/)
  })
})

describe('teardown', () => {
  const teardownInputs = { operation: 'teardown', 'poll-interval': '10', timeout: '600' }

  async function stuckOnOfflineCluster(state: 'Deleting' | 'Creating') {
    const { azure } = site()
    await deploy(azure)
    azure.cluster.properties = { connectivityStatus: 'Offline' }
    Object.assign(azure.extension ?? {}, { provisioningState: state })
    azure.calls.length = 0
    return azure
  }

  it.each(['Deleting', 'Creating'] as const)(
    'force-deletes an extension stuck %s on an Offline cluster at once',
    async (state) => {
      const azure = await stuckOnOfflineCluster(state)
      const start = azure.clock.now()
      const { log } = await deploy(azure, { ...teardownInputs, 'force-delete': 'true' })
      expect(azure.writes()).toContain('DELETE extension edge01reg')
      expect(azure.extension).toBeUndefined()
      expect(azure.clock.now() - start).toBeLessThan(10_000)
      expect(log.join('\n')).toContain('Verified: everything the teardown deleted is gone.')
    }
  )

  it('without force-delete, names the Offline cluster as the cause, before any write', async () => {
    const azure = await stuckOnOfflineCluster('Deleting')
    await expect(deploy(azure, teardownInputs)).rejects.toThrow(
      /is Deleting and cluster 'edge-cluster-01' is Offline: Azure finishes that operation only once the cluster's Arc agents reconnect.*'force-delete: true'/
    )
    expect(azure.writes()).toEqual([])
  })

  it('never reports success while something it deleted exists again', async () => {
    const { azure } = site()
    await deploy(azure)
    const extension = azure.extension
    azure.afterWrite = (call) => {
      // A deploy overlapping the teardown installs the extension again.
      if (call === 'DELETE extension edge01reg') azure.extension = extension
    }
    await expect(deploy(azure, teardownInputs)).rejects.toThrow(
      /The teardown did not finish: Extension 'edge01reg' on 'edge-cluster-01' still exist/
    )
  })
})

describe('knowing which instance is Online', () => {
  const rotate = { operation: 'rotate-credentials' }

  it.each([
    // Quick as the emulator's defaults: seen within 1 s of the new pod's first report.
    [200, 200, 1_000],
    // A pod that restarts slower than the poll interval: not believed before it reports, and
    // seen within a poll interval once the quick reads of the budget are spent.
    [3_000, 30_000, 10_000]
  ])(
    'does not believe the replaced instance’s Online (install %i ms, new pod reports %i ms later; seen within %i ms)',
    async (provisioningMs, activationMs, within) => {
      const { azure } = site()
      await deploy(azure)
      azure.provisioningMs = provisioningMs
      azure.activationMs = activationMs
      const { progress } = await deploy(azure, rotate)
      const reportedAt = progress.final.connectedRegistry?.lastActivityTime?.getTime() ?? 0
      expect(reportedAt).toBeGreaterThanOrEqual(azure.newInstanceReportsAt ?? Infinity)
      const seen = (azure.onlineSeenAt ?? Infinity) - (azure.newInstanceReportsAt ?? 0)
      expect(seen).toBeLessThanOrEqual(within)
      // Then a hold (1 s, or a poll once the read budget is spent) checks that its password
      // was not generated again meanwhile.
      expect(azure.clock.now() - (azure.onlineSeenAt ?? 0)).toBeLessThanOrEqual(within)
    }
  )

  it('ignores the replaced instance’s stale UNAUTHORIZED: no needless repair', async () => {
    const { azure } = site()
    await deploy(azure)
    azure.activationMs = 15_000
    azure.afterWrite = (call) => {
      // Someone regenerates the slot the old instance uses once the run moved to password2.
      if (call === 'POST generateCredentials password2') azure.regenerate('edge01reg', 'password1')
    }
    azure.calls.length = 0
    const { progress, log } = await deploy(azure, rotate)
    expect(log.join('\n')).toMatch(/UNAUTHORIZED/)
    expect(log.join('\n')).toContain('Waiting for the updated instance to report')
    expect(log.join('\n')).not.toMatch(/repairing/)
    expect(azure.writes()).toEqual([
      'POST generateCredentials password2',
      'PATCH extension edge01reg'
    ])
    expect(progress.final.connectedRegistry?.connectionState).toBe('Online')
  })

  it('reads no more than the poll interval allows over a long wait, and sees Online within a poll', async () => {
    const { azure } = site()
    await deploy(azure)
    // Azure busy with the update for 5 minutes, then the new pod reports 2 s later.
    azure.provisioningMs = 5 * 60_000
    azure.activationMs = 2_000
    azure.calls.length = 0
    let start = 0
    azure.afterWrite = (call) => {
      if (call === 'PATCH extension edge01reg') start = azure.clock.now()
    }
    await deploy(azure, rotate)
    const minutes = (azure.clock.now() - start) / 60_000
    const waitReads = azure.calls
      .slice(azure.calls.indexOf('PATCH extension edge01reg'))
      .filter((c) => c.startsWith('GET'))
    // 6 a minute at poll-interval 10 s, plus at most one minute's bucket of quick reads.
    expect(waitReads.length).toBeLessThanOrEqual(Math.ceil(minutes * 6) + 6)
    expect(
      (azure.onlineSeenAt ?? Infinity) - (azure.newInstanceReportsAt ?? 0)
    ).toBeLessThanOrEqual(10_000)
  })
})

describe('a run that died after its extension update, re-run', () => {
  const rotate = { operation: 'rotate-credentials', 'revoke-old-password': 'true' }

  /**
   * A rotation killed right after Azure accepted its extension update (password2). Returns when
   * the pod that update restarts first reports.
   */
  async function killedAfterUpdate(
    azure: FakeAzure,
    activationMs = azure.activationMs
  ): Promise<number> {
    await deploy(azure)
    azure.activationMs = activationMs
    azure.afterWrite = (call) => {
      if (call !== 'PATCH extension edge01reg') return
      azure.afterWrite = undefined
      throw new Error('the runner died')
    }
    await expect(deploy(azure, rotate)).rejects.toThrow('the runner died')
    azure.calls.length = 0
    return azure.clock.now() + azure.provisioningMs + activationMs
  }

  it('waits for the restarted pod’s report before touching a password: the previous pod may still serve with password1', async () => {
    const { azure } = site()
    // The restarted pod reports slower than the poll interval (10 s).
    const reportedAt = await killedAfterUpdate(azure, 30_000)
    let generatedAt = 0
    azure.afterWrite = (call) => {
      if (call.startsWith('POST generateCredentials') && !generatedAt) {
        generatedAt = azure.clock.now()
      }
    }
    const { progress, log } = await deploy(azure, rotate)
    expect(log.join('\n')).toContain(
      'has not reported yet; the one before it may still serve with password1: waiting for its report before planning.'
    )
    // Planned once the pod of the killed run's write (password2) reported: password1 is free.
    expect(generatedAt).toBeGreaterThanOrEqual(reportedAt)
    expect(azure.writes()).toEqual([
      'POST generateCredentials password1',
      'PATCH extension edge01reg',
      'POST generateCredentials password2'
    ])
    expect(progress.final.connectedRegistry?.connectionState).toBe('Online')
  })

  it('leaves the previous pod’s password alone when the restarted pod never reports', async () => {
    const { azure } = site()
    await killedAfterUpdate(azure, 60 * 60_000)
    azure.afterWrite = (call) => {
      // The run's own pod reports as usual.
      if (call === 'PATCH extension edge01reg') azure.activationMs = 2_000
    }
    const { log } = await deploy(azure, rotate)
    expect(log.join('\n')).toContain('No report came: the plan leaves password1 alone.')
    // password1 may still be in use: the new password goes into password2 again, and the run
    // revokes password1 only once its own pod is Online.
    expect(azure.writes()).toEqual([
      'POST generateCredentials password2',
      'PATCH extension edge01reg',
      'POST generateCredentials password1'
    ])
  })
})
