// KubectlCluster's contract with kubectl, with a scripted runner: the arguments it passes, what
// it makes of kubectl's JSON, NotFound as "absent", and failures reported redacted.
import { describe, expect, it } from '@jest/globals'
import { KubectlCluster, type Runner } from '../../src/kube/kubectl.js'
import { KubernetesError } from '../../src/kube/port.js'
import { maskSecret } from '../../src/secrets.js'

function scripted(answer: { exitCode?: number; stdout?: string; stderr?: string }) {
  const calls: { args: string[]; input?: string }[] = []
  const runner: Runner = async (_binary, args, input) => {
    calls.push({ args, input })
    return {
      exitCode: answer.exitCode ?? 0,
      stdout: answer.stdout ?? '',
      stderr: answer.stderr ?? ''
    }
  }
  return { calls, runner }
}

describe('KubectlCluster', () => {
  it('passes the kubeconfig, context, cache dir and a request timeout before the command', async () => {
    const { calls, runner } = scripted({ stdout: '{"status":{"phase":"Terminating"}}' })
    const cluster = new KubectlCluster(
      { kubeconfig: '/k/config', context: 'edge', cacheDir: '/tmp/c' },
      runner
    )
    expect(await cluster.namespace('apps')).toEqual({ name: 'apps', phase: 'Terminating' })
    expect(calls[0].args).toEqual([
      '--kubeconfig',
      '/k/config',
      '--context',
      'edge',
      '--cache-dir',
      '/tmp/c',
      '--request-timeout=30s',
      'get',
      'namespace',
      'apps',
      '-o',
      'json'
    ])
  })

  it('NotFound means absent; other failures throw, redacted', async () => {
    const missing = scripted({
      exitCode: 1,
      stderr: 'Error from server (NotFound): secrets "x" not found'
    })
    expect(await new KubectlCluster({}, missing.runner).secret('apps', 'x')).toBeUndefined()
    const secret = 'Port+Pass/word=0123456789abcdefghij'
    maskSecret(
      {
        info: () => undefined,
        warning: () => undefined,
        debug: () => undefined,
        group: async (_n, fn) => fn(),
        mask: () => undefined
      },
      secret
    )
    const denied = scripted({
      exitCode: 1,
      stderr: `Error from server (Forbidden): secrets is forbidden ${secret}`
    })
    const error = await new KubectlCluster({}, denied.runner)
      .secret('apps', 'x')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubernetesError)
    expect((error as Error).message).toBe(
      'kubectl -n apps get secret x -o json failed: Error from server (Forbidden): secrets is forbidden ***'
    )
  })

  it('decodes secret data; applies secrets server-side with the values on stdin only', async () => {
    const read = scripted({
      stdout: JSON.stringify({
        type: 'Opaque',
        metadata: { labels: { a: 'b' } },
        data: { k: Buffer.from('v').toString('base64') }
      })
    })
    expect(await new KubectlCluster({}, read.runner).secret('ns', 's')).toEqual({
      namespace: 'ns',
      name: 's',
      type: 'Opaque',
      labels: { a: 'b' },
      data: { k: 'v' }
    })
    const write = scripted({ stdout: 'secret/s\n' })
    await new KubectlCluster({}, write.runner).applySecret({
      namespace: 'ns',
      name: 's',
      type: 'Opaque',
      labels: {},
      data: { k: 'value-on-stdin' }
    })
    expect(write.calls[0].args.slice(1)).toEqual([
      'apply',
      '--server-side',
      '--field-manager=connected-registry-action',
      '--force-conflicts',
      '-o',
      'name',
      '-f',
      '-'
    ])
    expect(write.calls[0].args.join(' ')).not.toContain(
      Buffer.from('value-on-stdin').toString('base64')
    )
    expect(JSON.parse(write.calls[0].input ?? '')).toMatchObject({
      kind: 'Secret',
      data: { k: Buffer.from('value-on-stdin').toString('base64') }
    })
  })

  it('reads pods: phase, readiness, restarts, waiting reasons and an unmet condition', async () => {
    const { runner } = scripted({
      stdout: JSON.stringify({
        items: [
          {
            metadata: { name: 'p' },
            spec: { containers: [{ name: 'c', image: 'i' }] },
            status: {
              phase: 'Running',
              conditions: [
                {
                  type: 'Ready',
                  status: 'False',
                  reason: 'ContainersNotReady',
                  message: 'not ready'
                }
              ],
              containerStatuses: [
                {
                  name: 'c',
                  ready: false,
                  restartCount: 3,
                  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
                  lastState: { terminated: { reason: 'Error' } }
                }
              ]
            }
          }
        ]
      })
    })
    expect(await new KubectlCluster({}, runner).pods('ns')).toEqual([
      {
        name: 'p',
        phase: 'Running',
        conditionReason: 'ContainersNotReady',
        conditionMessage: 'not ready',
        containers: [
          {
            name: 'c',
            image: 'i',
            ready: false,
            restartCount: 3,
            waitingReason: 'CrashLoopBackOff',
            waitingMessage: 'back-off',
            lastTerminationReason: 'Error'
          }
        ]
      }
    ])
  })
})
