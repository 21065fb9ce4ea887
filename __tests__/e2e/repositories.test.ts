// The repositories a deployed connected registry really syncs, end to end through the bundle. The
// emulated pod syncs only what its sync token's scope map (and, nested, every ancestor's) grants
// with the actions of its mode, and reports the rest as Unhealthy with one DENIED status detail per
// repository; a ReadWrite registry without the write grants syncs pull-only (emulator/README.md).
// So a wrong mode mapping or a missing grant fails here.

import { describe, expect, it } from '@jest/globals'
import { errorOf } from '../../__fixtures__/action-runner.js'
import { REGISTRY, RESOURCE_GROUP, useScenario } from '../../__fixtures__/scenario.js'

const s = useScenario(9)

/** What the emulated pod of connected registry `name` syncs, after its first synchronization. */
function repositoriesOf(name: string) {
  const pods = s.admin.state().instances as {
    connectedRegistryId: string | null
    phase: string
    repositories: {
      synced: string[]
      pullOnly: string[]
      notSynced: { repository: string }[]
    } | null
  }[]
  const pod = pods.find(
    (p) =>
      p.phase === 'running' &&
      p.connectedRegistryId?.toLowerCase() === s.connectedRegistryId(name).toLowerCase()
  )
  return pod?.repositories
}

describe('the pod syncs the repositories the inputs name', () => {
  it.each(['ReadOnly', 'ReadWrite'])(
    '%s: every repository, in both directions for ReadWrite, and nothing refused',
    async (mode) => {
      const name = `repos${mode.toLowerCase()}01`
      const run = await s.deploy(name, { mode, repositories: 'hello-world, app/web, team/api' })
      expect(run.outputs['connection-state']).toBe('Online')
      expect(repositoriesOf(name)).toEqual({
        synced: ['app/web', 'hello-world', 'team/api'],
        pullOnly: [],
        notSynced: []
      })
    }
  )

  it("a nested registry syncs a repository its parent did not have: the action grants it on the parent's scope map", async () => {
    await s.deploy('reposparent01', { mode: 'ReadWrite', repositories: 'hello-world' })
    const run = await s.deploy('reposchild01', {
      parent: 'reposparent01',
      mode: 'ReadOnly',
      repositories: 'app/web',
      'extension-name': 'repos-child'
    })
    expect(run.outputs['connection-state']).toBe('Online')
    expect(repositoriesOf('reposchild01')).toEqual({
      synced: ['app/web'],
      pullOnly: [],
      notSynced: []
    })
    // The parent relays app/web down with the child's (ReadOnly) actions, as the CLI grants them.
    expect(repositoriesOf('reposparent01')).toEqual({
      synced: ['app/web', 'hello-world'],
      pullOnly: ['app/web'],
      notSynced: []
    })
  })
})

describe('a grant missing while the action waits', () => {
  it('fails the run naming the repository and the missing actions; the next deploy restores the grant', async () => {
    const name = 'reposlost01'
    const inputs = s.inputsFor(name, { mode: 'ReadWrite', repositories: 'hello-world' })
    s.admin.clearJournal()
    const running = s.run(inputs)
    // Once the extension is being installed, the scope map loses the read grant of a repository.
    const deadline = Date.now() + 30_000
    const installing = () =>
      s.admin
        .journal()
        .some(
          (e) =>
            e.operation === 'Extensions_Create' &&
            e.status === 201 &&
            e.path.toLowerCase().endsWith(`/extensions/${name}`)
        )
    while (!installing()) {
      if (Date.now() > deadline) throw new Error('the action never created the extension')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const scopeMap = await s.clients.acr.scopeMaps.get(RESOURCE_GROUP, REGISTRY, name)
    await s.clients.acr.scopeMaps.beginUpdateAndWait(RESOURCE_GROUP, REGISTRY, name, {
      actions: (scopeMap.actions ?? []).filter(
        (action) => action !== 'repositories/hello-world/content/read'
      )
    })

    const run = await running
    expect(run.exitCode).toBe(1)
    const error = errorOf(run)
    expect(error).toContain('The connected registry reports Unhealthy.')
    expect(error).toContain(
      "DENIED (Repository 'hello-world' is not synchronized: the scope map 'reposlost01' of its sync token 'reposlost01' lacks repositories/hello-world/content/read.)"
    )
    // The fix: which grant is missing (the description) and that a re-run of the deploy converges it.
    expect(error).toContain(
      "The sync token's scope map (or, for a nested registry, an ancestor's sync scope map) does not grant what the instance needs: the description names the repository or gateway and the missing action. Re-run the deploy: it converges the sync scope map, and the ancestors' grants, to the inputs' repositories and mode."
    )

    const repaired = await s.runOk(inputs)
    expect(repaired.outputs['connection-state']).toBe('Online')
    expect(repositoriesOf(name)).toEqual({ synced: ['hello-world'], pullOnly: [], notSynced: [] })
  })
})
