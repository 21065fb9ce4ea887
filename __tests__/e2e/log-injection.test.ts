// What the action prints cannot become a workflow command: a chart setting stored in Azure with a
// carriage return and line feed (set by someone else, or by an older version of the action) comes
// back as the "old value" of a plan line, escaped, on one line.

import { describe, expect, it } from '@jest/globals'
import { CLUSTER, RESOURCE_GROUP, useScenario } from '../../__fixtures__/scenario.js'

const s = useScenario(7)

/** Lines as the runner reads them: a CR alone ends a line too. */
const runnerLines = (text: string): string[] => text.split(/\r\n|\r|\n/)

describe('an old value read from Azure', () => {
  it('is escaped in the plan, the log and the summary; no injected command reaches the runner', async () => {
    const name = 'inject01'
    await s.deploy(name)
    const stored =
      'debug\r::error title=injected::pwned\n::add-mask::everything ##[group]x\u001b[2J'
    await s.clients.k8s.extensions.beginUpdateAndWait(
      RESOURCE_GROUP,
      'Microsoft.Kubernetes',
      'connectedClusters',
      CLUSTER,
      name,
      { configurationSettings: { logLevel: stored } },
      { updateIntervalInMs: 20 }
    )

    for (const operation of ['plan', 'deploy']) {
      const run = await s.runOk(
        s.inputsFor(name, { operation, 'extension-config': 'logLevel=info' })
      )
      const lines = runnerLines(run.stdout)
      expect(lines.filter((line) => /injected|::add-mask::everything/.test(line))).toEqual([
        '      logLevel: debug\\r::error title=injected::pwned\\n::add-mask::everything #\\u0023[group]x\\u001B[2J → info'
      ])
      expect(
        lines.some((line) => /^\s*::(error|add-mask|group)::?.*(injected|everything|x$)/.test(line))
      ).toBe(false)
      expect(run.stdout).not.toContain('\u001b')
      expect(run.summary).toContain('logLevel: debug\\r::error title=injected::pwned')
      expect(run.summary).not.toContain('\r')
      expect(run.summary).not.toContain('\u001b')
    }
    expect((await s.world(name)).extension?.configurationSettings?.logLevel).toBe('info')
  })
})
