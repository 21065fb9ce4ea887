// A PVC that stays Pending, end to end: the bundled action with real kubectl against the emulator's
// Kubernetes API. The connected registry's pod is held while its claim cannot bind, so the deploy
// runs out of time waiting for Online; with cluster access the step collects the cluster's view
// and names the claim, its storage class and the fix, and nothing it collected shows a secret.

import { beforeAll, describe, expect, it } from '@jest/globals'
import { DEFAULT_SEED_PATH, loadSeedFile } from '../../emulator/index.js'
import { errorOf } from '../../__fixtures__/action-runner.js'
import { describeLeaks, emulatorSecrets, scanRun } from '../../__fixtures__/leak-scanner.js'
import { CLUSTER, useScenario } from '../../__fixtures__/scenario.js'
import { nodeAndKubectlPath } from '../kube/fixtures.js'

const s = useScenario(12)
const PATH = nodeAndKubectlPath()

beforeAll(() => {
  // The cluster offers only k3s' local-path class (and no default one in the second case).
  s.admin.reset({
    ...loadSeedFile(DEFAULT_SEED_PATH),
    kubernetes: { [CLUSTER]: { storageClasses: ['local-path'], defaultStorageClass: null } }
  })
  s.admin.setTiming({ lroMs: 50, activationMs: 200 })
})

describe('a PVC that stays Pending', () => {
  it.each<{ name: string; inputs: Record<string, string>; finding: string }>([
    {
      name: 'pvcpending01',
      inputs: { 'storage-class': 'premium-ssd' },
      finding:
        "PVC connected-registry-pvc asks for storage class 'premium-ssd', which the cluster does not have (it has: local-path)"
    },
    {
      name: 'pvcpending02',
      inputs: {},
      finding:
        'PVC connected-registry-pvc names no storage class and the cluster has no default one (it has: local-path)'
    }
  ])(
    '$name: the deploy times out; the summary shows the claim, its class and the fix; nothing leaks',
    async ({ name, inputs, finding }) => {
      const before = s.admin.secretsForTests()
      const run = await s.run(
        s.inputsFor(name, {
          // A release namespace of its own: the cases' claims do not meet.
          'release-namespace': name,
          timeout: '10s',
          'poll-interval': '1s',
          ...inputs
        }),
        { env: { KUBECONFIG: s.emu.kube.kubeconfigPath, PATH } }
      )
      expect(run.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(
        /^The step's 'timeout' \(10s, from the step's start to its last output\) ran out during 'Wait until Online'\./
      )

      const storageClass = inputs['storage-class'] ?? '(none)'
      for (const shown of [run.stdout, run.summary]) {
        expect(shown).toContain("The cluster's view")
        expect(shown).toMatch(
          new RegExp(
            `connected-registry-pvc\\s+Pending\\s+storage class ${storageClass.replace(/[()]/g, '\\$&')}`
          )
        )
        expect(shown).toContain(`storage-class-missing: ${finding}`)
        expect(shown).toContain("fix: Set the input 'storage-class'")
      }

      const report = scanRun(run, emulatorSecrets(s.admin.secretsForTests(), before))
      expect(describeLeaks(report)).toBe('')
      // The run created the sync token's password: the scan had something to look for.
      expect(report.secrets).toBeGreaterThan(0)
    }
  )
})
