// Releases: `npm run release:check` is a dry run of what the release workflow checks and passes on
// this repository; the checks catch a wrong version, a missing or undated CHANGELOG section; and
// `npm run release -- X.Y.Z` cuts a release the checks accept.

import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import YAML from 'yaml'
import {
  changelogSection,
  cutChangelog,
  releaseProblems,
  versionOfTag
} from '../../script/release.js'

const ROOT = path.resolve('.')
const SCRIPT = path.join(ROOT, 'script/release.ts')
/** tsx by path: the scratch repository below has no node_modules of its own. */
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href
const changelog = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8')
const packageVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version

function run(
  command: string,
  args: string[],
  cwd: string
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' } }, (error, out, err) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${out}${err}` })
    )
  })
}

describe('the release checks', () => {
  it('accept this repository: package.json version, its CHANGELOG section, dist/ a fresh build (npm run release:check)', async () => {
    const result = await run('npm', ['run', '--silent', 'release:check'], ROOT)
    expect(result.output).toContain(
      `v${packageVersion} can be released: CHANGELOG.md has its section, package.json its version, dist/ equals a fresh build.`
    )
    expect(result.code).toBe(0)
    // The dry run built aside and left nothing behind.
    expect(fs.existsSync(path.join(ROOT, '.dist-fresh'))).toBe(false)
  }, 300_000)

  it('refuse a tag that is not vX.Y.Z, another version than package.json, a missing or undated section', () => {
    expect(versionOfTag('v1.2.3')).toBe('1.2.3')
    expect(versionOfTag('1.2.3')).toBeUndefined()
    expect(versionOfTag('v1.2')).toBeUndefined()
    expect(releaseProblems('v1', '1.0.0', changelog)).toEqual([
      "Tag 'v1' is not a version tag vX.Y.Z (such as v1.2.3)."
    ])
    expect(releaseProblems('v9.9.9', packageVersion, changelog)).toEqual([
      `package.json has version ${packageVersion}, the tag v9.9.9: cut releases with npm run release -- 9.9.9.`,
      "CHANGELOG.md has no section '## [9.9.9] - YYYY-MM-DD'."
    ])
    const undated = changelog.replace(`## [${packageVersion}] - `, `## [${packageVersion}] `)
    expect(releaseProblems(`v${packageVersion}`, packageVersion, undated)).toEqual([
      `CHANGELOG.md's section ${packageVersion} has no date: '## [${packageVersion}] - YYYY-MM-DD'.`
    ])
    const empty = '## [Unreleased]\n\n## [2.0.0] - 2027-01-01\n\n## [1.0.0] - 2026-11-30\n\n- x\n'
    expect(releaseProblems('v2.0.0', '2.0.0', empty)).toEqual([
      "CHANGELOG.md's section 2.0.0 is empty."
    ])
  })

  it('are what the release workflow runs on a version tag', () => {
    const workflow = YAML.parse(fs.readFileSync('.github/workflows/release.yml', 'utf8'))
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+'])
    const steps: string[] = workflow.jobs.release.steps.map((step: { run?: string }) => step.run)
    expect(steps).toContain('npm run release:check -- "$GITHUB_REF_NAME"')
    expect(steps).toContain('npm test')
    expect(steps.join('\n')).toContain('script/release.ts notes "$GITHUB_REF_NAME"')
    expect(steps.join('\n')).toContain('git push --force origin "refs/tags/$major"')
  })
})

describe('npm run release -- X.Y.Z', () => {
  let repo: string
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim()

  beforeAll(() => {
    // A repository with this CHANGELOG and a package.json at the current version, one change
    // waiting under Unreleased.
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'release-cut-'))
    fs.writeFileSync(
      path.join(repo, 'package.json'),
      `${JSON.stringify({ name: 'release-cut', version: packageVersion, private: true }, null, 2)}\n`
    )
    fs.writeFileSync(
      path.join(repo, 'CHANGELOG.md'),
      changelog.replace('## [Unreleased]\n', '## [Unreleased]\n\n### Fixed\n\n- Something.\n')
    )
    git('init', '--quiet')
    git('config', 'user.email', 'release-test@example.invalid')
    git('config', 'user.name', 'release test')
    git('add', '.')
    git('commit', '--quiet', '-m', 'start')
  })
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }))

  it('moves Unreleased under the version, bumps package.json, commits and tags', async () => {
    const [major, minor] = packageVersion.split('.').map(Number)
    const next = `${major}.${minor + 1}.0`
    const result = await run(process.execPath, ['--import', TSX, SCRIPT, 'cut', next], repo)
    expect(result.output).toContain(
      `Tagged v${next}. Publish it with: git push origin HEAD v${next}`
    )
    expect(result.code).toBe(0)

    const cut = fs.readFileSync(path.join(repo, 'CHANGELOG.md'), 'utf8')
    const today = new Date().toISOString().slice(0, 10)
    expect(cut).toContain(`## [Unreleased]\n\n## [${next}] - ${today}\n\n### Fixed\n\n- Something.`)
    expect(changelogSection(cut, 'Unreleased')).toBe('')
    expect(cut).toContain(
      `[Unreleased]: https://github.com/contoso/connected-registry-arc-action/compare/v${next}...HEAD\n` +
        `[${next}]: https://github.com/contoso/connected-registry-arc-action/compare/v${packageVersion}...v${next}`
    )
    const bumped = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version
    expect(releaseProblems(`v${next}`, bumped, cut)).toEqual([])
    expect(git('status', '--porcelain')).toBe('')
    expect(git('log', '-1', '--format=%s')).toBe(`Release v${next}`)
    expect(git('tag', '--list', `v${next}`)).toBe(`v${next}`)
    expect(git('cat-file', '-t', `v${next}`)).toBe('tag') // annotated

    // Nothing left to release: a second cut is refused and changes nothing.
    const again = await run(process.execPath, ['--import', TSX, SCRIPT, 'cut', '9.0.0'], repo)
    expect(again.code).toBe(1)
    expect(again.output).toContain('CHANGELOG.md has nothing under Unreleased to release.')
    expect(git('status', '--porcelain')).toBe('')
  })

  it('refuses a version CHANGELOG.md already has', () => {
    expect(() => cutChangelog(changelog, packageVersion, '2030-01-01')).toThrow(
      `CHANGELOG.md already has a section ${packageVersion}.`
    )
  })
})
