// Each site's log, kept together: sites run at once, so their lines would interleave, and the
// runner's log groups cannot nest or overlap. A site's lines (prefixed with its name) are held
// until it ends, then written as one group; its phases become headings inside it. Secrets are
// registered at once, so they are masked before any held line is written.

import type { Log } from '../ports.js'

type Line = { level: 'info' | 'warning' | 'debug'; text: string }

export interface SiteLog {
  /** The Log the site's single-site pipeline writes to. */
  log: Log
  /** Writes the site's lines as one group titled `<site>: <outcome>`. */
  flush(outcome: string): Promise<void>
}

export function createSiteLog(parent: Log, site: string): SiteLog {
  const lines: Line[] = []
  const hold = (level: Line['level']) => (message: string) => {
    for (const text of message.split('\n')) lines.push({ level, text: `[${site}] ${text}` })
  }
  const log: Log = {
    info: hold('info'),
    warning: hold('warning'),
    debug: hold('debug'),
    group: async (name, fn) => {
      hold('info')(`── ${name}`)
      return fn()
    },
    mask: (secret) => parent.mask(secret)
  }
  return {
    log,
    flush: (outcome) =>
      parent.group(`${site}: ${outcome}`, async () => {
        for (const line of lines.splice(0)) parent[line.level](line.text)
      })
  }
}
