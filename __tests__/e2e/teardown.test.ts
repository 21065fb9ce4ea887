// `operation: teardown`, end to end: the bundled action against the emulator. It removes what a
// deploy made, reports what is already gone, and never deletes a token or scope map it did not
// create.

import { describe, expect, it } from '@jest/globals'
import { errorOf } from '../../__fixtures__/action-runner.js'
import {
  CLUSTER,
  connectionStates,
  GONE,
  hasStackTrace,
  REGISTRY,
  RESOURCE_GROUP,
  targetInputs,
  useScenario,
  writeOperations
} from '../../__fixtures__/scenario.js'

const s = useScenario(5)

// Each test on an emulator of its own that starts from the seed, all at once.

// A teardown needs no repositories or service IP: only what names the resources.
const teardown = (name: string, extra: Record<string, string> = {}) => ({
  ...targetInputs(name),
  operation: 'teardown',
  ...extra
})

describe('operation: teardown', () => {
  it.concurrent(
    'removes the extension, the connected registry, its sync token and scope map',
    s.isolated(async () => {
      await s.deploy('teardown01')
      s.admin.clearJournal()
      const run = await s.runOk(teardown('teardown01'))

      expect(writeOperations(s.admin.journal())).toEqual([
        'Extensions_Delete',
        'ConnectedRegistries_Deactivate',
        'ConnectedRegistries_Delete',
        'Tokens_Delete',
        'ScopeMaps_Delete'
      ])
      expect(await s.world('teardown01')).toEqual(GONE)
      expect(run.outputs).toMatchObject({ changed: 'true', 'connection-state': '' })
      expect(run.stdout).toContain("Deleting Extension 'teardown01' on 'edge-cluster-01'")
      expect(run.stdout).toContain("Deactivating Activation of 'teardown01'")
      expect(run.stdout).toContain('Teardown done: 5 change(s) applied.')
      expect(run.summary).toContain('Teardown of connected registry')
      // The extension's deletion was waited out: it is gone from the timeline too.
      const extensionStates = s.admin
        .events()
        .filter((event) => event.resource.endsWith('/extensions/teardown01'))
        .filter((event) => event.property === 'provisioningState')
      expect(extensionStates.slice(-2)).toMatchObject([
        { from: 'Succeeded', to: 'Deleting' },
        { from: 'Deleting', to: null, detail: 'extension deleted' }
      ])
    })
  )

  it.concurrent(
    'is safe to re-run: what is already gone is reported as such',
    s.isolated(async () => {
      await s.deploy('teardown02')
      await s.runOk(teardown('teardown02'))
      s.admin.clearJournal()
      const again = await s.runOk(teardown('teardown02'))

      expect(again.exitCode).toBe(0)
      expect(again.outputs.changed).toBe('false')
      expect(writeOperations(s.admin.journal())).toEqual([])
      for (const resource of [
        "Extension 'teardown02' on 'edge-cluster-01'",
        "Connected registry 'teardown02'",
        "Sync token 'teardown02'",
        "Scope map 'teardown02'"
      ]) {
        expect(again.stdout).toContain(`. absent     ${resource}  (already gone)`)
      }
      expect(again.stdout).toContain(
        'Teardown: nothing to delete, everything the action created is already gone.'
      )
    })
  )

  it.concurrent(
    'of a nested registry removes its gateway actions from the parent, with only the delete permissions',
    s.isolated(async () => {
      await s.deploy('tdparent01', { mode: 'ReadWrite' })
      await s.deploy('tdchild01', { parent: 'tdparent01' })
      const parentBefore = await s.clients.acr.scopeMaps.get(RESOURCE_GROUP, REGISTRY, 'tdparent01')
      expect(parentBefore.actions).toContain('gateway/tdchild01/config/read')
      // The parent first would strand its child: refused before any write.
      s.admin.clearJournal()
      const refused = await s.run(teardown('tdparent01'))
      expect(refused.exitCode).toBe(1)
      expect(errorOf(refused)).toContain(
        "Connected registry 'tdparent01' is the parent of 'tdchild01': deleting it would leave that registry unable to sync. Nothing was changed."
      )
      expect(writeOperations(s.admin.journal())).toEqual([])
      const eventsBefore = s.admin.events().length
      s.admin.clearJournal()
      // Everything a deploy needs beyond reading is refused: a teardown must not need it.
      s.admin.denyActions([
        'Microsoft.ContainerRegistry/registries/write',
        'Microsoft.ContainerRegistry/registries/generateCredentials/action',
        'Microsoft.ContainerRegistry/registries/connectedRegistries/write',
        'Microsoft.ContainerRegistry/registries/tokens/write',
        'Microsoft.KubernetesConfiguration/extensions/write'
      ])

      // The parent comes from the connected registry itself: the input is not needed.
      const run = await s.runOk(teardown('tdchild01'))

      expect(writeOperations(s.admin.journal())).toEqual([
        'Extensions_Delete',
        'ConnectedRegistries_Deactivate',
        'ScopeMaps_Update',
        'ConnectedRegistries_Delete',
        'Tokens_Delete',
        'ScopeMaps_Delete'
      ])
      expect(run.stdout).toContain("Scope map 'tdparent01' of ancestor 'tdparent01'")
      expect(run.stdout).toContain('actions: - gateway/tdchild01/message/write')
      const parentAfter = await s.clients.acr.scopeMaps.get(RESOURCE_GROUP, REGISTRY, 'tdparent01')
      expect(parentAfter.actions?.filter((a) => a.startsWith('gateway/tdchild01/'))).toEqual([])
      // The parent keeps its own access and whatever else it had, and stays Online throughout.
      expect(parentAfter.actions).toEqual(
        parentBefore.actions?.filter((a) => !a.startsWith('gateway/tdchild01/'))
      )
      const parentTransitions = s.admin.events().slice(eventsBefore)
      expect(connectionStates(parentTransitions, s.connectedRegistryId('tdparent01'))).toEqual([])
      expect(await s.world('tdchild01')).toEqual(GONE)

      s.admin.denyActions([])
      await s.runOk(teardown('tdparent01'))
      expect(await s.world('tdparent01')).toEqual(GONE)
    })
  )

  it.concurrent(
    'keeps a sync token and scope map it did not create',
    s.isolated(async () => {
      // A connected registry someone set up by hand, with their own token and scope map.
      const { acr } = s.clients
      const lro = { updateIntervalInMs: 50 }
      await acr.registries.beginUpdateAndWait(
        RESOURCE_GROUP,
        REGISTRY,
        { dataEndpointEnabled: true },
        lro
      )
      const handMade = [
        'gateway/tdforeign01/config/read',
        'gateway/tdforeign01/config/write',
        'gateway/tdforeign01/message/read',
        'gateway/tdforeign01/message/write',
        'repositories/hello-world/content/read',
        'repositories/hello-world/metadata/read'
      ]
      await acr.scopeMaps.beginCreateAndWait(
        RESOURCE_GROUP,
        REGISTRY,
        'tdforeign01',
        { actions: handMade, description: 'made by hand for the edge team' },
        lro
      )
      await acr.tokens.beginCreateAndWait(
        RESOURCE_GROUP,
        REGISTRY,
        'tdforeign01',
        { scopeMapId: `${s.registryId}/scopeMaps/tdforeign01`, status: 'enabled' },
        lro
      )
      await acr.connectedRegistries.beginCreateAndWait(
        RESOURCE_GROUP,
        REGISTRY,
        'tdforeign01',
        {
          mode: 'ReadOnly',
          parent: { syncProperties: { tokenId: s.tokenId('tdforeign01'), messageTtl: 'P2D' } }
        },
        lro
      )
      // The deploy uses them but leaves the scope map alone (it asks for one more repository).
      const deployed = await s.deploy('tdforeign01')
      expect(deployed.stdout).toMatch(/::warning::Scope map 'tdforeign01' differs from what/)

      s.admin.clearJournal()
      const run = await s.runOk(teardown('tdforeign01'))

      expect(run.stdout).toContain(
        "= kept       Sync token 'tdforeign01'  (not created by this action)"
      )
      expect(run.stdout).toContain(
        "= kept       Scope map 'tdforeign01'  (not created by this action)"
      )
      const writes = writeOperations(s.admin.journal())
      expect(writes).not.toContain('Tokens_Delete')
      expect(writes).not.toContain('ScopeMaps_Delete')
      const left = await s.world('tdforeign01')
      expect(left.connectedRegistry).toBeUndefined()
      expect(left.extension).toBeUndefined()
      expect(left.token?.scopeMapId).toMatch(/\/scopeMaps\/tdforeign01$/)
      expect(left.scopeMap?.actions?.sort()).toEqual(handMade)
    })
  )

  it.concurrent(
    'never deletes a same-named scope map that was there before the first deploy',
    s.isolated(async () => {
      await s.clients.acr.scopeMaps.beginCreateAndWait(
        RESOURCE_GROUP,
        REGISTRY,
        'tdsquatted01',
        { actions: ['repositories/hello-world/content/read'], description: 'another team' },
        { updateIntervalInMs: 50 }
      )
      const refused = await s.run(s.inputsFor('tdsquatted01'))
      expect(refused.exitCode).toBe(1)
      expect(errorOf(refused)).toContain(
        "Scope map 'tdsquatted01' already exists in registry 'contosoacr' and was not created by this action"
      )
      s.admin.clearJournal()
      const run = await s.runOk(teardown('tdsquatted01'))
      expect(run.stdout).toContain(
        "= kept       Scope map 'tdsquatted01'  (not created by this action)"
      )
      expect(writeOperations(s.admin.journal())).toEqual([])
      expect((await s.world('tdsquatted01')).scopeMap?.description).toBe('another team')
    })
  )

  it.concurrent(
    'with force-delete removes the extension of an offline cluster at once',
    s.isolated(async () => {
      await s.deploy('tdforce01')
      s.admin.setClusterConnectivity(CLUSTER, 'Offline')
      const run = await s.runOk(teardown('tdforce01', { 'force-delete': 'true' }))

      expect(run.stdout).toContain(
        "Deleting Extension 'tdforce01' on 'edge-cluster-01' (force-delete)"
      )
      expect(run.stdout).not.toContain('::warning::')
      expect(await s.world('tdforce01')).toEqual(GONE)
      const removal = s.admin
        .events()
        .filter((event) => event.resource.endsWith('/extensions/tdforce01'))
        .filter((event) => event.property === 'provisioningState')
        .at(-1)
      expect(removal).toMatchObject({
        from: 'Succeeded',
        to: null,
        detail: 'extension force-deleted'
      })
    })
  )

  it.concurrent(
    'without force-delete, warns about an offline cluster and fails clearly when its deletion cannot finish',
    s.isolated(async () => {
      await s.deploy('tdoffline01')
      s.admin.setClusterConnectivity(CLUSTER, 'Offline')
      s.admin.clearJournal()
      const run = await s.run(teardown('tdoffline01', { timeout: '10s', 'poll-interval': '1s' }))

      expect(run.exitCode).toBe(1)
      expect(run.stdout).toMatch(
        /::warning::Arc-enabled cluster 'edge-cluster-01' is Offline: Azure deletes the extension only once the cluster reconnects/
      )
      expect(errorOf(run)).toMatch(
        /^The step's 'timeout' \(10s, from the step's start to its last output\) ran out during 'Apply'\. Extension 'tdoffline01' on cluster 'edge-cluster-01' was still being deleted: .* set 'force-delete: true'/
      )
      expect(hasStackTrace(run)).toBe(false)
      // It stopped at the extension: the connected registry is untouched.
      expect(writeOperations(s.admin.journal())).toEqual(['Extensions_Delete'])
      expect(await s.world('tdoffline01')).toMatchObject({
        connectedRegistry: { activation: { status: 'Active' } },
        token: { name: 'tdoffline01' },
        scopeMap: { name: 'tdoffline01' }
      })
    })
  )

  it.concurrent(
    'fails when the registry does not exist, instead of reporting everything as gone',
    s.isolated(async () => {
      const run = await s.run(teardown('teardown03', { registry: 'contosoacrtypo' }))
      expect(run.exitCode).toBe(1)
      expect(errorOf(run)).toContain(
        "Registry 'contosoacrtypo' was not found in resource group 'edge-rg' of subscription '00000000-0000-0000-0000-0000000000aa'. Check the inputs 'registry', 'resource-group' and 'subscription-id'."
      )
    })
  )

  it.concurrent(
    'finishes the job when the cluster is gone already, and says so',
    s.isolated(async () => {
      await s.deploy('teardown04')
      const run = await s.runOk(teardown('teardown04', { cluster: 'decommissioned-cluster' }))
      expect(run.stdout).toMatch(
        /::warning::Arc-enabled cluster 'decommissioned-cluster' was not found in resource group 'edge-rg': its extension is treated as gone/
      )
      expect(run.stdout).toContain(
        ". absent     Extension 'teardown04' on 'decommissioned-cluster'  (its cluster was not found)"
      )
      const left = await s.world('teardown04')
      expect(left.connectedRegistry).toBeUndefined()
      expect(left.token).toBeUndefined()
    })
  )
})
