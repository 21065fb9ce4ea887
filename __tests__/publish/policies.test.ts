// What the Marketplace and users expect of a published action: a licence, an author, branding,
// the policies, grouped dependency updates, and documentation whose links lead somewhere.

import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import YAML from 'yaml'

const read = (file: string): string => fs.readFileSync(file, 'utf8')
const action = YAML.parse(read('action.yml')) as {
  author: string
  branding: { icon: string; color: string }
}
const packageJson = JSON.parse(read('package.json')) as { version: string }

/** The colours GitHub's action metadata syntax allows for `branding.color`. */
const BRANDING_COLORS = [
  'white',
  'black',
  'yellow',
  'blue',
  'green',
  'orange',
  'red',
  'purple',
  'gray-dark'
]

describe('publishing', () => {
  it('has an MIT licence whose copyright holder is the author action.yml names, and branding', () => {
    const license = read('LICENSE')
    expect(license.split('\n')[0]).toBe('MIT License')
    expect(license).toContain(`Copyright (c) 2026 ${action.author}\n`)
    expect(action.author).not.toMatch(/your name|example|todo|placeholder/i)
    expect(BRANDING_COLORS).toContain(action.branding.color)
    expect(action.branding.icon).toMatch(/^[a-z0-9-]+$/)
  })

  it('names its owners and how to report a vulnerability, for the supported major version', () => {
    expect(read('.github/CODEOWNERS')).toMatch(/^\* @\S+/m)
    const security = read('SECURITY.md')
    expect(security).toContain('Report a vulnerability')
    expect(security).toContain(`| ${packageJson.version.split('.')[0]}.x `)
  })

  it('tells contributors the two commands the README opens with', () => {
    const commands = read('README.md')
      .split('```')[1]
      .split('\n')
      .filter((line) => line.startsWith('npm '))
    expect(commands.map((line) => line.split('#')[0].trim())).toEqual([
      'npm ci && npm run demo',
      'npm ci && npm test'
    ])
    for (const command of commands) expect(read('CONTRIBUTING.md')).toContain(command)
  })

  it('has weekly, grouped dependency updates for npm and the workflow actions', () => {
    const config = YAML.parse(read('.github/dependabot.yml')) as {
      version: number
      updates: { 'package-ecosystem': string; schedule: { interval: string }; groups: object }[]
    }
    expect(config.version).toBe(2)
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual([
      'github-actions',
      'npm'
    ])
    for (const update of config.updates) {
      expect(update.schedule.interval).toBe('weekly')
      expect(Object.keys(update.groups).length).toBeGreaterThan(0)
    }
  })

  it('links only to files and headings that exist', () => {
    const documents = [
      'README.md',
      'CONTRIBUTING.md',
      'SECURITY.md',
      'CHANGELOG.md',
      'docs/roles/README.md',
      'docs/reference.md'
    ]
    /** GitHub's anchor of a heading. */
    const slug = (heading: string): string =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-')
    const anchors = (file: string): string[] =>
      [...read(file).matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1]))
    const broken: string[] = []
    for (const document of documents) {
      for (const [, target] of read(document).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue
        const [file, anchor] = target.split('#')
        const resolved = file ? path.join(path.dirname(document), file) : document
        if (!fs.existsSync(resolved)) broken.push(`${document}: ${target}`)
        else if (anchor && resolved.endsWith('.md') && !anchors(resolved).includes(anchor)) {
          broken.push(`${document}: ${target} (no such heading)`)
        }
      }
    }
    expect(broken).toEqual([])
  })
})
