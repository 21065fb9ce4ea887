// The client token's plan is pure too: which actions its scope map gets, when a password is
// generated and into which slot, when a pull secret is written, and what is refused before any
// write. The record on a pull secret (slot, creation time, fingerprint) is what lets a re-run
// know the current password without Azure ever returning it.

import { describe, expect, it } from '@jest/globals'
import { DOCKER_CONFIG_JSON, type SecretObject } from '../src/kube/port.js'
import {
  DOCKER_CONFIG_KEY,
  dockerConfigJson,
  MANAGED_BY,
  passwordRecord
} from '../src/kube/pull-secret.js'
import type { ObservedState } from '../src/observe.js'
import { planDeploy } from '../src/plan/deploy.js'
import type { Plan } from '../src/plan/model.js'
import { planTeardown } from '../src/plan/teardown.js'
import { deployedWorld, emptyWorld, REGISTRY_ID, settingsFor } from '../__fixtures__/plan-world.js'

const TOKEN = 'edge-pods'
const SERVER = '10.0.0.10'
const MADE = Date.UTC(2026, 10, 1)
const PASSWORD = 'current+Password/0123456789abcdefghij'

const settings = (extra: Record<string, string> = {}) =>
  settingsFor({ 'client-token': TOKEN, 'pull-secret-namespaces': 'apps, web', ...extra })

const secretWith = (namespace: string, password: string, labels = {}): SecretObject => ({
  namespace,
  name: 'connected-registry-pull',
  type: DOCKER_CONFIG_JSON,
  labels: { ...MANAGED_BY, ...labels },
  data: { [DOCKER_CONFIG_KEY]: dockerConfigJson(SERVER, TOKEN, password) }
})

/** A deployed world whose client token exists with password1 made at MADE, and the cluster's
 * pull secrets as given. */
function world(secrets: (SecretObject | undefined)[] = [], extra = {}): ObservedState {
  const base = deployedWorld(settings(extra))
  return {
    ...base,
    connectedRegistry: {
      ...base.connectedRegistry,
      clientTokenIds: [`${REGISTRY_ID}/tokens/${TOKEN}`]
    },
    client: {
      token: {
        id: `${REGISTRY_ID}/tokens/${TOKEN}`,
        name: TOKEN,
        scopeMapId: `${REGISTRY_ID}/scopeMaps/${TOKEN}-scope-map`,
        status: 'enabled',
        credentials: { passwords: [{ name: 'password1', creationTime: new Date(MADE) }] }
      },
      scopeMap: {
        id: `${REGISTRY_ID}/scopeMaps/${TOKEN}-scope-map`,
        name: `${TOKEN}-scope-map`,
        description: `Scope map of client token '${TOKEN}', managed by connected-registry-arc-action`,
        actions: ['repositories/hello-world/content/read', 'repositories/hello-world/metadata/read']
      }
    },
    kube: {
      pullSecrets: ['apps', 'web'].map((namespace, i) => ({
        namespace,
        namespacePhase: 'Active',
        ...(secrets[i] ? { secret: secrets[i] } : {})
      })),
      pullFailures: []
    }
  }
}

const current = (namespace: string) =>
  secretWith(namespace, PASSWORD, passwordRecord('password1', MADE, PASSWORD))

const step = (plan: Plan, kind: string, namespace?: string) =>
  plan.steps.find(
    (s) =>
      s.detail.kind === kind &&
      (namespace === undefined || ('namespace' in s.detail && s.detail.namespace === namespace))
  )

describe('the client token in a deploy', () => {
  it('a current record in every namespace: nothing to write, no password', () => {
    const plan = planDeploy(settings(), world([current('apps'), current('web')]), {
      rotate: false
    })
    expect(plan.changed).toBe(false)
    expect(step(plan, 'client-password')).toBeUndefined()
    expect(plan.clientToken?.slot).toBe('password1')
  })

  it('a new namespace gets the password a current secret carries: no new password', () => {
    const plan = planDeploy(settings(), world([current('apps')]), { rotate: false })
    expect(step(plan, 'client-password')).toBeUndefined()
    expect(step(plan, 'pull-secret', 'apps')?.action).toBe('unchanged')
    const web = step(plan, 'pull-secret', 'web')
    expect(web?.action).toBe('create')
    expect(web?.detail).toMatchObject({ knownPassword: PASSWORD })
  })

  it.each([
    ['no secret anywhere', []],
    [
      'a password Azure has regenerated since (another creation time)',
      [secretWith('apps', PASSWORD, passwordRecord('password1', MADE - 1000, PASSWORD))]
    ],
    [
      'a value that does not match the fingerprint (edited by hand)',
      [secretWith('apps', 'edited', passwordRecord('password1', MADE, PASSWORD))]
    ],
    ['a secret without the record', [secretWith('apps', PASSWORD)]]
  ])('%s: a new password into the other slot, every secret written', (_, secrets) => {
    const plan = planDeploy(settings(), world(secrets), { rotate: false })
    expect(step(plan, 'client-password')?.detail).toEqual({
      kind: 'client-password',
      slot: 'password2'
    })
    for (const namespace of ['apps', 'web']) {
      expect(step(plan, 'pull-secret', namespace)?.action).not.toBe('unchanged')
      expect(step(plan, 'pull-secret', namespace)?.detail).not.toHaveProperty('knownPassword')
    }
  })

  it('rotation renews the client token alone with rotate-only: client-token', () => {
    const plan = planDeploy(settings(), world([current('apps'), current('web')]), {
      rotate: false,
      rotateClientToken: true
    })
    expect(step(plan, 'client-password')?.action).toBe('generate')
    expect(step(plan, 'sync-password')).toBeUndefined()
    expect(plan.clientToken?.slot).toBe('password2')
  })

  it('without cluster access or the password output, rotation leaves the client token alone and says why', () => {
    const observed = world()
    delete observed.kube
    const plan = planDeploy(settings(), observed, { rotate: false, rotateClientToken: true })
    expect(step(plan, 'client-password')).toBeUndefined()
    expect(plan.warnings.join('\n')).toContain(`Client token '${TOKEN}' was not rotated`)
    const asked = planDeploy(settings({ 'output-client-token-password': 'true' }), observed, {
      rotate: false,
      rotateClientToken: true
    })
    expect(step(asked, 'client-password')?.action).toBe('generate')
  })

  it('pull actions on the connected registry repositories, push only when asked', () => {
    const actionsOf = (extra: Record<string, string>) =>
      (
        step(
          planDeploy(
            settingsFor({ 'client-token': TOKEN, repositories: 'hello-world, app/web', ...extra }),
            emptyWorld(),
            { rotate: false }
          ),
          'client-scope-map'
        )?.detail as { actions: string[] }
      ).actions
    expect(actionsOf({})).toEqual([
      'repositories/app/web/content/read',
      'repositories/app/web/metadata/read',
      'repositories/hello-world/content/read',
      'repositories/hello-world/metadata/read'
    ])
    expect(actionsOf({ 'client-token-repositories': 'app/web' })).toEqual([
      'repositories/app/web/content/read',
      'repositories/app/web/metadata/read'
    ])
    expect(
      actionsOf({
        'client-token-repositories': 'app/web',
        mode: 'ReadWrite',
        'client-token-push': 'true'
      })
    ).toEqual([
      'repositories/app/web/content/read',
      'repositories/app/web/content/write',
      'repositories/app/web/metadata/read',
      'repositories/app/web/metadata/write'
    ])
  })

  it('keeps the client tokens others added and adds its own', () => {
    const observed = world([current('apps'), current('web')])
    observed.connectedRegistry = {
      ...observed.connectedRegistry,
      clientTokenIds: [`${REGISTRY_ID}/tokens/someone-elses`]
    }
    const plan = planDeploy(settings(), observed, { rotate: false })
    expect(step(plan, 'connected-registry')?.detail).toMatchObject({
      update: {
        clientTokenIds: [`${REGISTRY_ID}/tokens/someone-elses`, `${REGISTRY_ID}/tokens/${TOKEN}`]
      }
    })
  })

  it('refuses a missing client-tokens name and a missing namespace before any write', () => {
    const observed = world()
    expect(() =>
      planDeploy(settings(), { ...observed, missingClientTokens: ['ghost1'] }, { rotate: false })
    ).toThrow(
      /client-tokens: 'ghost1' does not exist in registry 'contosoacr'\. Nothing was changed/
    )
    const noNamespace = world()
    if (noNamespace.kube) noNamespace.kube.pullSecrets[1].namespacePhase = undefined
    expect(() => planDeploy(settings(), noNamespace, { rotate: false })).toThrow(
      /pull-secret-namespaces: namespace 'web' does not exist on the cluster/
    )
  })
})

describe('the client token in a teardown', () => {
  it('deletes what the action made and keeps a secret it did not write', () => {
    const foreign: SecretObject = { ...current('web'), labels: {} }
    const plan = planTeardown(
      settings({ operation: 'teardown' }),
      world([current('apps'), foreign])
    )
    const byResource = Object.fromEntries(plan.steps.map((s) => [s.resource, s.action]))
    expect(byResource).toMatchObject({
      "Pull secret 'connected-registry-pull' in namespace 'apps'": 'delete',
      "Pull secret 'connected-registry-pull' in namespace 'web'": 'kept',
      [`Client token '${TOKEN}'`]: 'delete',
      [`Client scope map '${TOKEN}-scope-map'`]: 'delete'
    })
  })
})
