// When the action has the cluster's API: an explicit kubeconfig input, else KUBECONFIG, else none.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { clusterAccess } from '../../src/kube/access.js'

describe('clusterAccess', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-')), 'config')
  fs.writeFileSync(file, 'apiVersion: v1\nkind: Config\n')

  it('an explicit kubeconfig input wins, with the context and cache dir', () => {
    expect(
      clusterAccess({ kubeconfig: file, context: 'edge' }, { KUBECONFIG: '/other' }, '/tmp/c')
    ).toEqual({
      kubeconfig: file,
      context: 'edge',
      cacheDir: '/tmp/c'
    })
  })

  it('KUBECONFIG left by the job: kubectl reads it itself', () => {
    expect(clusterAccess({}, { KUBECONFIG: '/home/runner/.kube/config' })).toEqual({})
  })

  it('no input and no KUBECONFIG: no cluster access', () => {
    expect(clusterAccess({ kubeconfig: '  ' }, {})).toBeUndefined()
  })

  it('a kubeconfig input that is not a file fails naming the input', () => {
    expect(() => clusterAccess({ kubeconfig: '/nowhere/config' }, {})).toThrow(
      "kubeconfig: '/nowhere/config' is not a file."
    )
  })
})
