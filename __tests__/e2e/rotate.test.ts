// Password rotation, end to end: `operation: rotate-credentials` and `deploy` with `rotate: true`,
// through the bundled action against the emulator. The emulated instance checks its password
// against the token's slots on every change, so a rotation that broke it would show Unhealthy.

import { describe, expect, it } from '@jest/globals'
import { errorOf, type ActionRun } from '../../__fixtures__/action-runner.js'
import { makeCertificate } from '../../__fixtures__/certificates.js'
import {
  connectionStates,
  hasStackTrace,
  protectedSettingsSent,
  REGISTRY,
  RESOURCE_GROUP,
  useScenario,
  writeOperations
} from '../../__fixtures__/scenario.js'

const s = useScenario(4)

const rotate = (name: string, extra: Record<string, string> = {}) =>
  s.inputsFor(name, { operation: 'rotate-credentials', ...extra })

/** The sync token's password values the emulator has seen, by slot, and whether each still works. */
function passwordsOf(name: string) {
  const tokenId = s.tokenId(name).toLowerCase()
  return s.admin
    .secretsForTests()
    .tokenPasswords.filter((password) => password.tokenId.toLowerCase() === tokenId)
}
const currentPassword = (name: string, slot: string): string => {
  const found = passwordsOf(name).filter((p) => p.slot === slot && p.current)
  expect(found).toHaveLength(1)
  return found[0].value
}
const works = (name: string, value: string): boolean =>
  passwordsOf(name).some((password) => password.value === value && password.current)

/** The connection string the extension received last (what the instance now uses). */
function lastConnectionString(name: string): string {
  const sent = protectedSettingsSent(s.emu, name)
  return sent[sent.length - 1]?.settings.connectionString ?? ''
}

/** Reads the connected registry's state every 50 ms while `during` runs, as a user's dashboard would. */
async function watchConnectionState(
  name: string,
  during: () => Promise<ActionRun>
): Promise<{ run: ActionRun; seen: string[] }> {
  const seen: string[] = []
  let watching = true
  const watcher = (async () => {
    while (watching) {
      const cr = await s.clients.acr.connectedRegistries.get(RESOURCE_GROUP, REGISTRY, name)
      seen.push(`${cr.connectionState}/${cr.activation?.status}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()
  try {
    return { run: await during(), seen }
  } finally {
    watching = false
    await watcher
  }
}

describe('operation: rotate-credentials', () => {
  it('alternates password1 → password2 → password1 without downtime, and revokes the old one', async () => {
    const name = 'rotation01'
    const first = await s.deploy(name)
    expect(first.outputs['password-slot']).toBe('password1')
    const original = currentPassword(name, 'password1')
    const eventsBefore = s.admin.events().length

    s.admin.clearJournal()
    const { run: toSecond, seen } = await watchConnectionState(name, () =>
      s.runOk(rotate(name, { 'revoke-old-password': 'true' }))
    )
    expect(toSecond.outputs).toMatchObject({
      'password-slot': 'password2',
      'connection-state': 'Online',
      'activation-status': 'Active',
      changed: 'true'
    })
    // New password into the free slot, the extension updated, and only then the old slot revoked.
    expect(writeOperations(s.admin.journal())).toEqual([
      'Registries_GenerateCredentials',
      'Extensions_Update',
      'Registries_GenerateCredentials'
    ])
    expect(toSecond.stdout).toContain('Generating Sync token password (password2)')
    expect(toSecond.stdout).toContain(
      'The old password (password1) no longer works; the registry is Online with password2.'
    )
    const second = currentPassword(name, 'password2')
    expect(lastConnectionString(name)).toContain(`SyncTokenPassword=${second};`)
    expect(works(name, second)).toBe(true)
    expect(works(name, original)).toBe(false)
    // Whoever watched the registry during the run saw it Online all along.
    expect(seen.length).toBeGreaterThan(3)
    expect(new Set(seen)).toEqual(new Set(['Online/Active']))

    const toFirst = await s.runOk(rotate(name))
    expect(toFirst.outputs['password-slot']).toBe('password1')
    const third = currentPassword(name, 'password1')
    expect(third).not.toBe(original)
    expect(lastConnectionString(name)).toContain(`SyncTokenPassword=${third};`)
    // Without revoke-old-password the previous password keeps working (a rollback stays possible).
    expect(works(name, second)).toBe(true)

    // The emulator's timeline: not a single transition since the first deploy was Online.
    const transitions = s.admin
      .events()
      .slice(eventsBefore)
      .filter((event) => event.resource.toLowerCase() === s.connectedRegistryId(name).toLowerCase())
    expect(connectionStates(transitions, s.connectedRegistryId(name))).toEqual([])
    expect(connectionStates(s.admin.events(), s.connectedRegistryId(name))).toEqual([
      'Syncing',
      'Online'
    ])
  })

  it('resends every protected setting with the new password (byoc: the TLS material too)', async () => {
    const name = 'rotationbyoc01'
    const certificate = await makeCertificate({ ip: s.serviceIpOf(name) })
    const tls = { tls: 'byoc', 'tls-cert': certificate.certPem, 'tls-key': certificate.keyPem }
    await s.deploy(name, tls)
    await s.runOk(rotate(name, tls))
    const sent = protectedSettingsSent(s.emu, name)
    expect(sent).toHaveLength(2)
    expect(Object.keys(sent[1].settings).sort()).toEqual([
      'connectionString',
      'tls.cacrt',
      'tls.crt',
      'tls.key'
    ])
    expect(sent[1].settings['tls.key']).toBe(sent[0].settings['tls.key'])
    expect(sent[1].settings.connectionString).not.toBe(sent[0].settings.connectionString)
    const cr = await s.clients.acr.connectedRegistries.get(RESOURCE_GROUP, REGISTRY, name)
    expect(cr.connectionState).toBe('Online')
  })

  it('needs only generateCredentials, extension write and reads', async () => {
    const name = 'rotationrbac01'
    await s.deploy(name)
    s.admin.denyActions([
      'Microsoft.ContainerRegistry/registries/write',
      'Microsoft.ContainerRegistry/registries/*/write',
      'Microsoft.ContainerRegistry/registries/connectedRegistries/deactivate/action',
      '*/delete'
    ])
    try {
      const run = await s.runOk(rotate(name, { 'revoke-old-password': 'true' }))
      expect(run.outputs['password-slot']).toBe('password2')
    } finally {
      s.admin.denyActions([])
    }
  })

  it('changes nothing and says why when the inputs differ from the deployment', async () => {
    const name = 'rotationdrift01'
    await s.deploy(name)
    s.admin.clearJournal()
    const run = await s.run(rotate(name, { 'log-level': 'Debug', 'storage-size': '20Gi' }))
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toContain(
      "rotate-credentials changes only the sync-token password, but the deployment differs from the inputs: Connected registry 'rotationdrift01': update (logLevel Information → Debug); Extension 'rotationdrift01' on 'edge-cluster-01': update (pvc.storageRequest (unset) → 20Gi). Nothing was changed. Run 'operation: deploy' (with 'rotate: true' to rotate in the same run), or give this step the same inputs as the deploy."
    )
    expect(hasStackTrace(run)).toBe(false)
    expect(writeOperations(s.admin.journal())).toEqual([])
  })

  it('refuses to rotate what was never deployed', async () => {
    s.admin.clearJournal()
    const run = await s.run(rotate('rotationnone01'))
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toContain(
      "Connected registry 'rotationnone01' does not exist. Run the step with 'operation: deploy' first: rotate-credentials only rotates the password of a deployed connected registry."
    )
    expect(writeOperations(s.admin.journal())).toEqual([])
  })
})

describe('deploy with rotate: true', () => {
  it('rotates as part of converging, without downtime', async () => {
    const name = 'deployrotate01'
    await s.deploy(name)
    const original = currentPassword(name, 'password1')
    const eventsBefore = s.admin.events().length
    s.admin.clearJournal()

    const run = await s.runOk(
      s.inputsFor(name, { rotate: 'true', 'log-level': 'Warning', 'revoke-old-password': 'true' })
    )
    expect(run.outputs).toMatchObject({
      'password-slot': 'password2',
      'connection-state': 'Online',
      changed: 'true'
    })
    expect(writeOperations(s.admin.journal())).toEqual([
      'ConnectedRegistries_Update',
      'Registries_GenerateCredentials',
      'Extensions_Update',
      'Registries_GenerateCredentials'
    ])
    expect(run.stdout).toContain('(rotation was requested)')
    expect(works(name, original)).toBe(false)
    expect(works(name, currentPassword(name, 'password2'))).toBe(true)
    const transitions = s.admin.events().slice(eventsBefore)
    expect(connectionStates(transitions, s.connectedRegistryId(name))).toEqual([])
  })

  it('after a first deploy, has no old password to revoke', async () => {
    s.admin.clearJournal()
    const run = await s.deploy('deployrotate02', { 'revoke-old-password': 'true' })
    expect(run.stdout).toContain('The other slot (password2) holds no password: nothing to revoke.')
    expect(
      writeOperations(s.admin.journal()).filter((op) => op === 'Registries_GenerateCredentials')
    ).toHaveLength(1)
  })
})
