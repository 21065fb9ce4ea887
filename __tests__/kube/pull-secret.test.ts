// The pull-secret reconciler against a fake cluster: what it writes, when it writes nothing,
// how it fails before any write, and that the credentials are masked in every form first.
import { describe, expect, it } from '@jest/globals'
import type { Log } from '../../src/ports.js'
import { redact } from '../../src/secrets.js'
import {
  DOCKER_CONFIG_KEY,
  MANAGED_BY,
  dockerConfigJson,
  reconcilePullSecrets,
  removePullSecrets,
  type PullSecretSpec
} from '../../src/kube/pull-secret.js'
import { FakeCluster } from './fake-cluster.js'

const masked: string[] = []
const log: Log = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
  group: async (_name, fn) => fn(),
  mask: (s) => masked.push(s)
}

const spec = (over: Partial<PullSecretSpec> = {}): PullSecretSpec => ({
  name: 'connected-registry-pull',
  namespaces: ['default', 'apps'],
  server: '10.0.0.50',
  username: 'pods',
  password: 'Pods+Pass/word=0123456789abcdefghij',
  ...over
})

describe('reconcilePullSecrets', () => {
  it('creates a dockerconfigjson secret per namespace with the service IP as server', async () => {
    const cluster = new FakeCluster(['default', 'apps'])
    const outcomes = await reconcilePullSecrets(cluster, spec(), log)
    expect(outcomes.map((o) => `${o.namespace}:${o.action}`)).toEqual([
      'default:created',
      'apps:created'
    ])
    const secret = await cluster.secret('apps', 'connected-registry-pull')
    expect(secret?.type).toBe('kubernetes.io/dockerconfigjson')
    expect(secret?.labels).toEqual(MANAGED_BY)
    const doc = JSON.parse(secret?.data[DOCKER_CONFIG_KEY] ?? '') as {
      auths: Record<string, Record<string, string>>
    }
    expect(Object.keys(doc.auths)).toEqual(['10.0.0.50'])
    expect(doc.auths['10.0.0.50']).toEqual({
      username: 'pods',
      password: spec().password,
      auth: Buffer.from(`pods:${spec().password}`).toString('base64')
    })
  })

  it('a second run with the same credentials writes nothing', async () => {
    const cluster = new FakeCluster(['default', 'apps'])
    await reconcilePullSecrets(cluster, spec(), log)
    cluster.writes = []
    const outcomes = await reconcilePullSecrets(cluster, spec(), log)
    expect(outcomes.map((o) => o.action)).toEqual(['unchanged', 'unchanged'])
    expect(cluster.writes).toEqual([])
  })

  it('a rotated password or another server updates the secret, keeping labels others set', async () => {
    const cluster = new FakeCluster(['default'])
    await reconcilePullSecrets(cluster, spec({ namespaces: ['default'] }), log)
    const s = cluster.secrets.get('default/connected-registry-pull')
    if (s) s.labels.team = 'edge'
    const outcomes = await reconcilePullSecrets(
      cluster,
      spec({ namespaces: ['default'], password: 'New+Pass/word=0123456789abcdefghij' }),
      log
    )
    expect(outcomes[0].action).toBe('updated')
    expect(cluster.secrets.get('default/connected-registry-pull')?.labels).toEqual({
      team: 'edge',
      ...MANAGED_BY
    })
    expect(cluster.secrets.get('default/connected-registry-pull')?.data[DOCKER_CONFIG_KEY]).toBe(
      dockerConfigJson('10.0.0.50', 'pods', 'New+Pass/word=0123456789abcdefghij')
    )
  })

  it('a secret someone else wrote with the same content is adopted (labelled) once', async () => {
    const cluster = new FakeCluster(['default'])
    cluster.secrets.set('default/connected-registry-pull', {
      namespace: 'default',
      name: 'connected-registry-pull',
      type: 'kubernetes.io/dockerconfigjson',
      labels: {},
      data: { [DOCKER_CONFIG_KEY]: dockerConfigJson('10.0.0.50', 'pods', spec().password) }
    })
    expect(
      (await reconcilePullSecrets(cluster, spec({ namespaces: ['default'] }), log))[0].action
    ).toBe('updated')
    expect(
      (await reconcilePullSecrets(cluster, spec({ namespaces: ['default'] }), log))[0].action
    ).toBe('unchanged')
  })

  it.each([
    [
      'a missing namespace',
      (c: FakeCluster) => c.namespaces.delete('apps'),
      /namespace 'apps' does not exist/
    ],
    [
      'a terminating namespace',
      (c: FakeCluster) => c.namespaces.set('apps', { name: 'apps', phase: 'Terminating' }),
      /namespace 'apps' is being deleted \(Terminating\)/
    ],
    [
      'a secret of another type in the way',
      (c: FakeCluster) =>
        c.secrets.set('apps/connected-registry-pull', {
          namespace: 'apps',
          name: 'connected-registry-pull',
          type: 'Opaque',
          labels: {},
          data: {}
        }),
      /secret 'connected-registry-pull' in namespace 'apps' already exists with type 'Opaque'/
    ]
  ])('%s fails before any write, naming it', async (_what, arrange, message) => {
    const cluster = new FakeCluster(['default', 'apps'])
    arrange(cluster)
    await expect(reconcilePullSecrets(cluster, spec(), log)).rejects.toThrow(message)
    expect(cluster.writes).toEqual([])
  })

  it('masks the password, the auth value, the document and an older password the cluster held', async () => {
    const cluster = new FakeCluster(['default'])
    const old = 'Old+Pass/word=0123456789abcdefghijk'
    cluster.secrets.set('default/connected-registry-pull', {
      namespace: 'default',
      name: 'connected-registry-pull',
      type: 'kubernetes.io/dockerconfigjson',
      labels: {},
      data: { [DOCKER_CONFIG_KEY]: dockerConfigJson('10.0.0.50', 'pods', old) }
    })
    const s = spec({ namespaces: ['default'] })
    await reconcilePullSecrets(cluster, s, log)
    const doc = dockerConfigJson(s.server, s.username, s.password)
    for (const value of [
      s.password,
      old,
      Buffer.from(`pods:${s.password}`).toString('base64'),
      Buffer.from(doc).toString('base64')
    ])
      expect(redact(`x ${value} y`)).toBe('x *** y')
  })
})

describe('removePullSecrets', () => {
  it('deletes only the secrets the action labelled as its own', async () => {
    const cluster = new FakeCluster(['default', 'apps'])
    await reconcilePullSecrets(cluster, spec({ namespaces: ['apps'] }), log)
    cluster.secrets.set('default/connected-registry-pull', {
      namespace: 'default',
      name: 'connected-registry-pull',
      type: 'kubernetes.io/dockerconfigjson',
      labels: {},
      data: {}
    })
    expect(
      await removePullSecrets(cluster, 'connected-registry-pull', ['default', 'apps', 'gone'])
    ).toEqual([
      { namespace: 'default', deleted: false },
      { namespace: 'apps', deleted: true },
      { namespace: 'gone', deleted: false }
    ])
    expect(cluster.secrets.has('default/connected-registry-pull')).toBe(true)
  })
})
