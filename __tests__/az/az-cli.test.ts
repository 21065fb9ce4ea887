// A real client in CI: Debian's az CLI 2.45, unchanged, against the emulator. Every command of
// the connected-registry seed procedure exits 0 within its time budget, and what the action
// creates for a connected registry (scope map, sync token, connection string) is what az creates
// for the same one. Skipped, loudly, only when az cannot be found.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { expectSuccess, runAction } from '../../__fixtures__/action-runner.js'
import {
  AZ_MISSING,
  asyncStarts,
  pollGaps,
  azSession,
  findAz,
  type AzResult,
  type AzSession
} from '../../__fixtures__/az-cli.js'
import { REGISTRY, targetInputs } from '../../__fixtures__/scenario.js'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'

const azPath = findAz()
if (!azPath) console.warn(AZ_MISSING)
const describeWithAz = azPath ? describe : describe.skip

/**
 * A poll may come this much later than the Retry-After it follows (az's own work between polls,
 * on a loaded machine); az's fallback without the header is 30 s.
 */
const POLL_SLACK_MS = 1500
/** The figure for each command; reported, not asserted (speed is measured, not unit-tested). */
const TARGET_MS = 2000

interface ScopeMapView {
  name: string
  actions: string[]
  scopeMapType?: string
  typePropertiesType?: string
  description?: string
}
interface TokenView {
  name: string
  scopeMapId: string
  status: string
  credentials?: { passwords?: { name: string; value?: string }[] }
}
interface ConnectedRegistryView {
  name: string
  mode: string
  connectionState: string
  activation?: { status: string }
  clientTokenIds?: string[] | null
  parent: { syncProperties: { tokenId: string } }
}
interface Settings {
  ACR_REGISTRY_CONNECTION_STRING: string
}

describeWithAz('az CLI 2.45 against the emulator', () => {
  let emu: RunningEmulator
  let az: AzSession

  beforeAll(async () => {
    emu = await startEmulator({ quiet: true })
    az = await azSession(azPath as string, emu)
  }, 60_000)
  afterAll(async () => {
    // The figures behind the "each within 2 s" (wall time, on this machine's load).
    if (durations.length > 0) {
      const rows = durations.map(
        (d) =>
          `${d.durationMs < TARGET_MS ? '  ' : '> '}${String(d.durationMs).padStart(6)} ms  ${d.asyncOperations} async  ${d.command}`
      )
      console.log(
        `az command durations (target ${TARGET_MS} ms; Retry-After ${emu.admin.timing().lroRetryAfterSeconds} s per async operation):\n${rows.join('\n')}`
      )
    }
    az?.dispose()
    await emu?.stop()
  })

  const durations: { command: string; durationMs: number; asyncOperations: number }[] = []

  /**
   * Runs `az <args>`, expects exit 0 with nothing on stderr, and that az polled every async
   * operation when Retry-After said, not at its 30 s fallback.
   */
  const azOk = async (...args: string[]): Promise<AzResult> => {
    const before = emu.admin.journal().length
    const result = await az.run(args)
    const entries = emu.admin.journal().slice(before)
    const command = `az ${args.join(' ')}`
    durations.push({
      command,
      durationMs: result.durationMs,
      asyncOperations: asyncStarts(entries)
    })
    expect({ command, exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      command,
      exitCode: 0,
      stderr: ''
    })
    const retryAfterMs = emu.admin.timing().lroRetryAfterSeconds * 1000
    const late = pollGaps(entries).filter((g) => g.gapMs > retryAfterMs + POLL_SLACK_MS)
    expect({ command, late }).toEqual({ command, late: [] })
    return result
  }
  const azJson = async <T>(...args: string[]): Promise<T> =>
    JSON.parse((await azOk(...args, '--output', 'json')).stdout) as T
  const r = ['--registry', REGISTRY]
  /** `az acr connected-registry get-settings` as the seed procedure runs it: a new password1. */
  const getSettings = (name: string): Promise<Settings> =>
    azJson<Settings>(
      'acr',
      'connected-registry',
      'get-settings',
      ...r,
      '--name',
      name,
      '--parent-protocol',
      'https',
      '--generate-password',
      '1',
      '--yes'
    )

  describe('the seed procedure', () => {
    const cr = 'edgeaz01'

    it('az acr show finds the registry through the generic resource listing', async () => {
      const registry = await azJson<{ name: string; loginServer: string; sku: { name: string } }>(
        'acr',
        'show',
        '--name',
        REGISTRY
      )
      expect(registry).toMatchObject({
        name: REGISTRY,
        loginServer: `${REGISTRY}.azurecr.io`,
        sku: { name: 'Premium' }
      })
    })

    it('az acr update --data-endpoint-enabled turns the data endpoint on', async () => {
      const registry = await azJson<{
        dataEndpointEnabled: boolean
        dataEndpointHostNames: string[]
      }>('acr', 'update', '--name', REGISTRY, '--data-endpoint-enabled', 'true')
      expect(registry.dataEndpointEnabled).toBe(true)
      expect(registry.dataEndpointHostNames).toEqual([`${REGISTRY}.eastus.data.azurecr.io`])
    })

    it('az acr scope-map list shows the three system scope maps', async () => {
      const maps = await azJson<ScopeMapView[]>('acr', 'scope-map', 'list', ...r)
      const system = Object.fromEntries(
        maps.filter((m) => m.name.startsWith('_')).map((m) => [m.name, [...m.actions].sort()])
      )
      expect(system).toEqual({
        _repositories_admin: [
          'repositories/*/content/delete',
          'repositories/*/content/read',
          'repositories/*/content/write',
          'repositories/*/metadata/read',
          'repositories/*/metadata/write'
        ],
        _repositories_pull: ['repositories/*/content/read'],
        _repositories_push: ['repositories/*/content/read', 'repositories/*/content/write']
      })
    })

    it('system scope maps cannot be deleted', async () => {
      const remove = await az.run([
        'acr',
        'scope-map',
        'delete',
        ...r,
        '-n',
        '_repositories_pull',
        '--yes'
      ])
      expect(remove.exitCode).not.toBe(0)
      expect(remove.stderr).toContain('cannot be deleted')
    })

    it('az acr connected-registry create makes the sync scope map, token and registry', async () => {
      const created = await azJson<ConnectedRegistryView>(
        'acr',
        'connected-registry',
        'create',
        ...r,
        '--name',
        cr,
        '--repository',
        'hello-world',
        '--mode',
        'ReadOnly'
      )
      expect(created).toMatchObject({ name: cr, mode: 'ReadOnly', connectionState: 'Offline' })
      expect(created.parent.syncProperties.tokenId).toMatch(new RegExp(`/tokens/${cr}$`))
    })

    it('az acr connected-registry get-settings generates a password and prints the connection string', async () => {
      const settings = await getSettings(cr)
      expect(settings.ACR_REGISTRY_CONNECTION_STRING).toMatch(
        new RegExp(
          `^ConnectedRegistryName=${cr};SyncTokenName=${cr};SyncTokenPassword=[^;]{48};ParentGatewayEndpoint=${REGISTRY}\\.eastus\\.data\\.azurecr\\.io;ParentEndpointProtocol=https$`
        )
      )
    })

    it('az acr connected-registry list and show', async () => {
      const table = (await azOk('acr', 'connected-registry', 'list', ...r, '--output', 'table'))
        .stdout
      expect(table).toMatch(new RegExp(`^${cr}\\s+ReadOnly\\s+Offline`, 'm'))
      const shown = await azJson<ConnectedRegistryView>(
        'acr',
        'connected-registry',
        'show',
        ...r,
        '--name',
        cr
      )
      expect(shown).toMatchObject({
        name: cr,
        mode: 'ReadOnly',
        activation: { status: 'Inactive' }
      })
    })

    it('az acr token create --scope-map _repositories_pull, then credential generate', async () => {
      const token = await azJson<TokenView>(
        'acr',
        'token',
        'create',
        ...r,
        '--name',
        'client01',
        '--scope-map',
        '_repositories_pull'
      )
      expect(token.scopeMapId).toMatch(/\/scopeMaps\/_repositories_pull$/)
      expect(token.status).toBe('enabled')
      const credentials = await azJson<{ username: string; passwords: { name: string }[] }>(
        'acr',
        'token',
        'credential',
        'generate',
        ...r,
        '--name',
        'client01',
        '--password1'
      )
      expect(credentials.username).toBe('client01')
      expect(credentials.passwords.map((p) => p.name)).toEqual(['password1'])
    })

    it('az acr connected-registry update --add-client-tokens, then list-client-tokens', async () => {
      const updated = await azJson<ConnectedRegistryView>(
        'acr',
        'connected-registry',
        'update',
        ...r,
        '--name',
        cr,
        '--add-client-tokens',
        'client01'
      )
      expect(updated.clientTokenIds).toEqual([expect.stringMatching(/\/tokens\/client01$/)])
      const table = (
        await azOk('acr', 'connected-registry', 'list-client-tokens', ...r, '-n', cr, '-o', 'table')
      ).stdout
      expect(table).toMatch(/^client01\s+_repositories_pull\s/m)
    })

    it('az acr connected-registry repo --add, then permissions show', async () => {
      await azOk('acr', 'connected-registry', 'repo', ...r, '--name', cr, '--add', 'other-repo')
      const permissions = await azJson<ScopeMapView>(
        'acr',
        'connected-registry',
        'permissions',
        'show',
        ...r,
        '--name',
        cr
      )
      expect([...permissions.actions].sort()).toEqual([
        `gateway/${cr}/config/read`,
        `gateway/${cr}/config/write`,
        `gateway/${cr}/message/read`,
        `gateway/${cr}/message/write`,
        'repositories/hello-world/content/read',
        'repositories/hello-world/metadata/read',
        'repositories/other-repo/content/read',
        'repositories/other-repo/metadata/read'
      ])
    })

    it('az acr connected-registry deactivate, then delete --cleanup removes its token and scope map', async () => {
      await azOk('acr', 'connected-registry', 'deactivate', ...r, '--name', cr, '--yes')
      await azOk('acr', 'connected-registry', 'delete', ...r, '--name', cr, '--cleanup', '--yes')
      const left = emu.admin.state()
      const names = (items: unknown[]) => items.map((i) => (i as { name: string }).name)
      expect(names(left.connectedRegistries)).not.toContain(cr)
      expect(names(left.tokens)).toEqual(['client01'])
      expect(names(left.scopeMaps)).not.toContain(cr)
    })
  })

  describe('what the action creates equals what az creates', () => {
    const byAction = 'actioncross01'
    const byAz = 'azcross01'
    let connectionString = ''

    beforeAll(async () => {
      const run = expectSuccess(
        await runAction(emu, {
          inputs: {
            ...targetInputs(byAction),
            'service-cluster-ip': '10.0.90.10',
            repositories: 'hello-world, app/web',
            mode: 'ReadOnly',
            'output-connection-string': 'true'
          }
        })
      )
      connectionString = run.outputs['connection-string']
      await azOk(
        'acr',
        'connected-registry',
        'create',
        ...r,
        '--name',
        byAz,
        '--repository',
        'hello-world',
        'app/web',
        '--mode',
        'ReadOnly',
        '--output',
        'none'
      )
    }, 120_000)

    /** What the emulator holds for a connected registry, its sync token and scope map (ARM shapes). */
    const resourcesOf = (name: string) => {
      const state = emu.admin.state()
      const named = <T>(items: unknown[]) =>
        items.find((i) => (i as { name: string }).name === name) as T
      return {
        scopeMap: named<{ properties: { actions: string[] } }>(state.scopeMaps),
        token: named<{ properties: { scopeMapId: string; status: string } }>(state.tokens),
        connectedRegistry: named<{
          properties: { mode: string; parent: { syncProperties: { tokenId: string } } }
        }>(state.connectedRegistries)
      }
    }
    /** A connected registry's own name stands for itself in the actions of its scope map. */
    const actionsOf = (name: string): string[] =>
      resourcesOf(name)
        .scopeMap.properties.actions.map((a) => a.replace(`gateway/${name}/`, 'gateway/<self>/'))
        .sort()

    it('the same sync scope map actions', () => {
      const expected = actionsOf(byAz)
      expect(expected).toContain('repositories/app/web/metadata/read')
      expect(actionsOf(byAction)).toEqual(expected)
    })

    it('a sync token on that scope map, used by the connected registry', () => {
      for (const name of [byAction, byAz]) {
        const { token, connectedRegistry } = resourcesOf(name)
        expect(token.properties.status).toBe('enabled')
        expect(token.properties.scopeMapId).toMatch(new RegExp(`/scopeMaps/${name}$`))
        expect(connectedRegistry.properties.mode).toBe('ReadOnly')
        expect(connectedRegistry.properties.parent.syncProperties.tokenId).toMatch(
          new RegExp(`/tokens/${name}$`)
        )
      }
    })

    it('the same connection string format', async () => {
      const settings = await getSettings(byAz)
      /** The connection string with its own name and password as placeholders. */
      const shape = (text: string, name: string) =>
        text
          .replaceAll(name, '<name>')
          .replace(/SyncTokenPassword=[^;]+/, 'SyncTokenPassword=<password>')
      expect(connectionString).not.toBe('')
      expect(shape(connectionString, byAction)).toBe(
        shape(settings.ACR_REGISTRY_CONNECTION_STRING, byAz)
      )
    })

    it('az acr connected-registry list shows the registry the action deployed as online', async () => {
      const registries = await azJson<ConnectedRegistryView[]>(
        'acr',
        'connected-registry',
        'list',
        ...r
      )
      expect(registries.find((c) => c.name === byAction)).toMatchObject({
        connectionState: 'Online',
        activation: { status: 'Active' }
      })
      const table = (await azOk('acr', 'connected-registry', 'list', ...r, '-o', 'table')).stdout
      expect(table).toMatch(new RegExp(`^${byAction}\\s+ReadOnly\\s+Online`, 'm'))
    })
  })
})
