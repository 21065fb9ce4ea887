// A site's log lines stay together in one group, prefixed with the site, even when sites run
// at once; secrets are registered at once.

import { describe, expect, it } from '@jest/globals'
import type { Log } from '../../src/ports.js'
import { createSiteLog } from '../../src/fleet/site-log.js'

function recorder(): { log: Log; out: string[] } {
  const out: string[] = []
  const log: Log = {
    info: (m) => out.push(`info ${m}`),
    warning: (m) => out.push(`warning ${m}`),
    debug: (m) => out.push(`debug ${m}`),
    group: async (name, fn) => {
      out.push(`group ${name}`)
      try {
        return await fn()
      } finally {
        out.push('endgroup')
      }
    },
    mask: (secret) => out.push(`mask ${secret}`)
  }
  return { log, out }
}

describe('createSiteLog', () => {
  it('writes each site as one group, whatever the interleaving', async () => {
    const { log, out } = recorder()
    const a = createSiteLog(log, 'storeberlin01')
    const b = createSiteLog(log, 'storeparis01')
    const runA = a.log.group('Plan', async () => {
      a.log.info('+ create connected registry')
      await Promise.resolve()
      a.log.warning('sync-window is not set')
      return 'planned'
    })
    b.log.info('Signing in')
    b.log.mask('s3cret-password')
    expect(await runA).toBe('planned')
    a.log.debug('line one\nline two')
    // Nothing but the secret is written before a site ends.
    expect(out).toEqual(['mask s3cret-password'])
    await b.flush('failed')
    await a.flush('Online, created')
    expect(out).toEqual([
      'mask s3cret-password',
      'group storeparis01: failed',
      'info [storeparis01] Signing in',
      'endgroup',
      'group storeberlin01: Online, created',
      'info [storeberlin01] ── Plan',
      'info [storeberlin01] + create connected registry',
      'warning [storeberlin01] sync-window is not set',
      'debug [storeberlin01] line one',
      'debug [storeberlin01] line two',
      'endgroup'
    ])
  })
})
