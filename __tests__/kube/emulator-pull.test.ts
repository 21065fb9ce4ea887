// The registry side of an image pull, in-process: image references, docker config documents, and
// what the connected registry answers for each kind of credential.
import { describe, expect, it } from '@jest/globals'
import { authorizePull, credentialsFor, parseImage } from '../../emulator/kube/pull.js'
import { ClusterSimulator } from '../../emulator/cluster-sim.js'
import { Operations } from '../../emulator/lro.js'
import { applySeed } from '../../emulator/seed.js'
import { World } from '../../emulator/world.js'
import { PASSWORDS, deployedSeed } from './fixtures.js'

describe('parseImage', () => {
  it.each([
    ['10.0.0.50/hello:1.0', { host: '10.0.0.50', repository: 'hello', reference: '1.0' }],
    [
      '10.0.0.50:443/team/hello',
      { host: '10.0.0.50:443', repository: 'team/hello', reference: 'latest' }
    ],
    [
      '10.0.0.50/hello@sha256:abc',
      { host: '10.0.0.50', repository: 'hello', reference: 'sha256:abc' }
    ],
    ['nginx:1', { host: 'docker.io', repository: 'nginx', reference: '1' }],
    ['library/nginx', { host: 'docker.io', repository: 'library/nginx', reference: 'latest' }]
  ])('%s', (image, expected) => expect(parseImage(image)).toEqual(expected))
})

describe('credentialsFor', () => {
  it('reads username/password, or auth alone, for the host with or without a scheme', () => {
    const doc = (entry: object, server = '10.0.0.50') =>
      JSON.stringify({ auths: { [server]: entry } })
    expect(credentialsFor(doc({ username: 'u', password: 'p:w' }), '10.0.0.50')).toEqual({
      username: 'u',
      password: 'p:w'
    })
    expect(
      credentialsFor(
        doc({ auth: Buffer.from('u:p:w').toString('base64') }, 'https://10.0.0.50/'),
        '10.0.0.50'
      )
    ).toEqual({ username: 'u', password: 'p:w' })
    expect(
      credentialsFor(doc({ username: 'u', password: 'p' }, '10.0.0.51'), '10.0.0.50')
    ).toBeUndefined()
    expect(credentialsFor('not json', '10.0.0.50')).toBeUndefined()
  })
})

describe('authorizePull', () => {
  it('follows the token store: disabled tokens and expired passwords stop working', () => {
    const world = new World()
    const ops = new Operations(world, () => undefined)
    const now = Date.now()
    applySeed(world, deployedSeed(), now, ops, new ClusterSimulator(world, ops))
    const cr = [...world.connectedRegistries.values()][0]
    const pods = [...world.tokens.values()].find((t) => t.name === 'pods')
    if (!pods) throw new Error('seed has no token pods')
    const good = { username: 'pods', password: PASSWORDS.pods }
    expect(authorizePull(world, cr, 'hello', good, now)).toEqual({ ok: true })
    expect(authorizePull(world, cr, 'hello', undefined, now)).toMatchObject({
      ok: false,
      status: 401,
      reason: 'UNAUTHORIZED: authentication required'
    })
    expect(
      authorizePull(world, cr, 'hello', { username: 'nobody', password: 'x' }, now)
    ).toMatchObject({ ok: false, status: 401 })
    pods.status = 'disabled'
    expect(authorizePull(world, cr, 'hello', good, now)).toMatchObject({
      reason: "UNAUTHORIZED: client token 'pods' is disabled"
    })
    pods.status = 'enabled'
    pods.passwords.password1 = {
      value: PASSWORDS.pods,
      creationTime: new Date(now).toISOString(),
      expiry: new Date(now - 1000).toISOString()
    }
    expect(authorizePull(world, cr, 'hello', good, now)).toMatchObject({
      reason: "UNAUTHORIZED: incorrect password for client token 'pods'"
    })
  })
})
