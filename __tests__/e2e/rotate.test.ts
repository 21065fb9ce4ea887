// Password rotation, end to end: `operation: rotate-credentials` and `deploy` with `rotate: true`,
// through the bundled action against the emulator. The emulated pod checks its password against
// the token's slots on every change, so a rotation that broke it would show UNAUTHORIZED. New
// protected settings reach the registry as a restarted pod (emulator/README.md, "The cluster
// side"); what the action guarantees under that restart is measured at the end of this file,
// under the emulator's default knobs and under unkind ones.

import { describe, expect, it } from '@jest/globals'
import type { WorldEvent } from '../../emulator/index.js'
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
  it('alternates password1 → password2 → password1 through a pod restart, never Unhealthy, and revokes the old one', async () => {
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
    // Whoever watched the registry during the run saw it Active all along, Syncing while the new
    // pod took over (a restart, not a reload), and never Unhealthy or Offline.
    expect(seen.length).toBeGreaterThan(3)
    expect(seen.every((state) => ['Online/Active', 'Syncing/Active'].includes(state))).toBe(true)
    expect(seen[seen.length - 1]).toBe('Online/Active')

    const toFirst = await s.runOk(rotate(name))
    expect(toFirst.outputs['password-slot']).toBe('password1')
    const third = currentPassword(name, 'password1')
    expect(third).not.toBe(original)
    expect(lastConnectionString(name)).toContain(`SyncTokenPassword=${third};`)
    // Without revoke-old-password the previous password keeps working (a rollback stays possible).
    expect(works(name, second)).toBe(true)

    // The emulator's timeline: each rotation is one pod restart (Syncing, then Online), nothing else.
    const transitions = s.admin.events().slice(eventsBefore)
    expect(connectionStates(transitions, s.connectedRegistryId(name))).toEqual([
      'Syncing',
      'Online',
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
      "rotate-credentials changes only passwords (and the pull secrets that carry the client token's), but the deployment differs from the inputs: Connected registry 'rotationdrift01': update (logLevel Information → Debug); Extension 'rotationdrift01' on 'edge-cluster-01': update (pvc.storageRequest (unset) → 20Gi). Nothing was changed. Run 'operation: deploy' (with 'rotate: true' to rotate in the same run), or give this step the same inputs as the deploy."
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
  it('rotates as part of converging, through one pod restart and never Unhealthy', async () => {
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
    expect(connectionStates(transitions, s.connectedRegistryId(name))).toEqual([
      'Syncing',
      'Online'
    ])
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

/**
 * What one rotation (`rotate-credentials` with `revoke-old-password`) did, read from the
 * emulator's timeline (logical times) right after the run.
 */
interface RotationMeasure {
  /** The extension update landed: the old pod stops (recreate) or a new one starts beside it. */
  landedAt: number
  /** The new pod activated with the new password (undefined: not yet when the run ended). */
  newPodActiveAt?: number
  /** The new pod reported Online (undefined: not yet when the run ended). */
  newPodOnlineAt?: number
  /** The old password slot was regenerated (revoked). */
  revokedAt?: number
  /** Pods that lost their credentials while running: the password they used was invalidated. */
  podsBroken: string[]
  /** Connection states the registry went through. */
  states: string[]
  run: ActionRun
}

async function measureRotation(name: string): Promise<RotationMeasure> {
  await s.deploy(name)
  const eventsBefore = s.admin.events().length
  const run = await s.runOk(rotate(name, { 'revoke-old-password': 'true' }))
  const events = s.admin.events().slice(eventsBefore)
  const extension = `/extensions/${name}`.toLowerCase()
  const onExtension = (e: WorldEvent) => e.resource.toLowerCase().endsWith(extension)
  const time = (e: WorldEvent | undefined) => (e ? Date.parse(e.time) : undefined)
  const landed = events.find(
    (e) => onExtension(e) && e.property === 'provisioningState' && e.to === 'Succeeded'
  )
  const newPod = events.find(
    (e) => onExtension(e) && e.property === 'instance' && e.to === 'connecting'
  )
  const newPodId = /instance (\S+)/.exec(newPod?.detail ?? '')?.[1] ?? '(none)'
  const ofNewPod = (e: WorldEvent) => onExtension(e) && e.detail.includes(newPodId)
  const registry = s.connectedRegistryId(name).toLowerCase()
  const newPodActive = events.find((e) => ofNewPod(e) && e.to === 'running')
  const registryEvents = events.filter((e) => e.resource.toLowerCase() === registry)
  return {
    landedAt: time(landed) ?? NaN,
    newPodActiveAt: time(newPodActive),
    newPodOnlineAt: time(
      registryEvents.find(
        (e) =>
          e.property === 'connectionState' &&
          e.to === 'Online' &&
          newPodActive !== undefined &&
          Date.parse(e.time) >= Date.parse(newPodActive.time)
      )
    ),
    revokedAt: time(
      events.find(
        (e) =>
          e.resource.toLowerCase() === s.tokenId(name).toLowerCase() &&
          e.property === 'credentials.password1'
      )
    ),
    podsBroken: events
      .filter(
        (e) =>
          onExtension(e) &&
          e.property === 'instance' &&
          e.from === 'running' &&
          e.to === 'failed' &&
          e.detail.includes('UNAUTHORIZED')
      )
      .map((e) => e.detail),
    states: connectionStates(registryEvents, s.connectedRegistryId(name)),
    run
  }
}

/**
 * The emulator settings the rotation is measured under. The chart's roll-out strategy and the
 * restart gap are unknown (our assumption, emulator/README.md): the default knobs, and unkind
 * ones with a gap of ten poll intervals (these tests poll every 100 ms). The action guarantees the
 * same under all of them: after the extension update the waiter (src/wait.ts) believes only a
 * report newer than its last read that saw the release pending, so the old pod's last Online
 * never ends the wait and the old password is revoked only once the new pod is active.
 */
const SETTINGS: { title: string; rollingUpdate: boolean; restartGapMs: number }[] = [
  {
    title: 'default knobs (rolling update, 200 ms restart gap)',
    rollingUpdate: true,
    restartGapMs: 200
  },
  { title: 'unkind: recreate, 1 s restart gap', rollingUpdate: false, restartGapMs: 1000 },
  { title: 'unkind: rolling update, 1 s restart gap', rollingUpdate: true, restartGapMs: 1000 }
]

describe.each(SETTINGS)('what rotation guarantees, $title', ({ rollingUpdate, restartGapMs }) => {
  let measured: RotationMeasure | undefined
  const measure = async () => {
    if (!measured) {
      s.admin.setClusterBehaviour({ rollingUpdate })
      s.admin.setTiming({ restartGapMs })
      try {
        measured = await measureRotation(`guarantee${rollingUpdate ? 'r' : 'c'}${restartGapMs}`)
      } finally {
        s.admin.setClusterBehaviour({ rollingUpdate: true })
        s.admin.setTiming({ restartGapMs: 200 })
      }
    }
    return measured
  }
  it('the extension update restarts the pod with the new password', async () => {
    const m = await measure()
    expect(m.run.outputs['password-slot']).toBe('password2')
    expect(m.landedAt).not.toBeNaN()
  })

  it('never invalidates the password of the serving pod', async () => {
    expect((await measure()).podsBroken).toEqual([])
  })

  it('the registry never shows UNAUTHORIZED (nor Unhealthy, nor Offline)', async () => {
    const { states } = await measure()
    expect(states.filter((state) => state !== 'Syncing' && state !== 'Online')).toEqual([])
  })

  it('revokes the old password only once the new pod is active', async () => {
    const m = await measure()
    expect(m.newPodActiveAt).toBeDefined()
    expect(m.revokedAt).toBeGreaterThanOrEqual(m.newPodActiveAt as number)
  })

  it('ends its run with the Online of the new pod, not the stale one of the old', async () => {
    const m = await measure()
    expect(m.run.outputs['connection-state']).toBe('Online')
    expect(m.newPodOnlineAt).toBeDefined()
  })
})
