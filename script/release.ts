// Releases: what .github/workflows/release.yml checks on a version tag, and cutting one.
//
// usage: node --import tsx script/release.ts <command>
//   check [vX.Y.Z]   the release workflow's checks, as a dry run (npm run release:check): the tag
//                    is a version, package.json has that version, CHANGELOG.md has its dated
//                    section, dist/ equals a fresh build of src/ (built aside, dist/ untouched).
//                    Without a tag: v<package.json version>.
//   notes vX.Y.Z     prints the CHANGELOG section of that version (the GitHub release's notes).
//   cut X.Y.Z        (npm run release -- X.Y.Z) on a clean tree: moves the Unreleased entries of
//                    CHANGELOG.md under X.Y.Z with today's date, bumps package.json and its lock,
//                    commits and creates the annotated tag vX.Y.Z. Pushing the tag runs the
//                    release workflow, which publishes the release and moves the major tag vX.

import { execFileSync, execSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

export const REPOSITORY_URL = 'https://github.com/contoso/connected-registry-arc-action'

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/

/** `1.2.3` from `v1.2.3`; undefined when the tag is not a plain version tag. */
export function versionOfTag(tag: string): string | undefined {
  const version = tag.replace(/^v/, '')
  return tag.startsWith('v') && VERSION.test(version) ? version : undefined
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The heading and body of `## [version] - date`, up to the next section or the link list. */
function findSection(changelog: string, version: string) {
  const heading = new RegExp(`^## \\[${escape(version)}\\](.*)$`, 'm').exec(changelog)
  if (!heading) return undefined
  const start = heading.index + heading[0].length
  const rest = changelog.slice(start)
  const end = rest.search(/^(## \[|\[[^\]]+\]: )/m)
  return {
    heading: heading[0],
    suffix: heading[1],
    body: (end < 0 ? rest : rest.slice(0, end)).trim()
  }
}

/** The entries of a version's CHANGELOG section (the release notes); undefined when absent. */
export function changelogSection(changelog: string, version: string): string | undefined {
  return findSection(changelog, version)?.body
}

/** What stops `tag` from being released; empty when it can be. */
export function releaseProblems(tag: string, packageVersion: string, changelog: string): string[] {
  const version = versionOfTag(tag)
  if (!version) return [`Tag '${tag}' is not a version tag vX.Y.Z (such as v1.2.3).`]
  const problems: string[] = []
  if (packageVersion !== version) {
    problems.push(
      `package.json has version ${packageVersion}, the tag ${tag}: cut releases with npm run release -- ${version}.`
    )
  }
  const section = findSection(changelog, version)
  if (!section) {
    problems.push(`CHANGELOG.md has no section '## [${version}] - YYYY-MM-DD'.`)
  } else {
    if (!/^ - \d{4}-\d{2}-\d{2}$/.test(section.suffix)) {
      problems.push(
        `CHANGELOG.md's section ${version} has no date: '## [${version}] - YYYY-MM-DD'.`
      )
    }
    if (!section.body) problems.push(`CHANGELOG.md's section ${version} is empty.`)
  }
  return problems
}

/**
 * The CHANGELOG with the Unreleased entries moved under `## [version] - date`, an empty
 * Unreleased section above it, and the comparison links updated.
 */
export function cutChangelog(changelog: string, version: string, date: string): string {
  if (!VERSION.test(version)) throw new Error(`'${version}' is not a version X.Y.Z.`)
  if (findSection(changelog, version)) {
    throw new Error(`CHANGELOG.md already has a section ${version}.`)
  }
  const unreleased = findSection(changelog, 'Unreleased')
  if (!unreleased) throw new Error("CHANGELOG.md has no '## [Unreleased]' section.")
  if (!unreleased.body) throw new Error('CHANGELOG.md has nothing under Unreleased to release.')
  const previous = /^## \[(\d+\.\d+\.\d+)\]/m.exec(changelog)?.[1]
  const headingAt = changelog.indexOf(unreleased.heading)
  const bodyStart = headingAt + unreleased.heading.length
  const bodyEnd = changelog.indexOf(unreleased.body, bodyStart) + unreleased.body.length
  let cut =
    `${changelog.slice(0, bodyStart)}\n\n## [${version}] - ${date}\n\n${unreleased.body}` +
    changelog.slice(bodyEnd)
  const unreleasedLink = `[Unreleased]: ${REPOSITORY_URL}/compare/v${version}...HEAD`
  const versionLink = previous
    ? `[${version}]: ${REPOSITORY_URL}/compare/v${previous}...v${version}`
    : `[${version}]: ${REPOSITORY_URL}/releases/tag/v${version}`
  cut = /^\[Unreleased\]: .*$/m.test(cut)
    ? cut.replace(/^\[Unreleased\]: .*$/m, `${unreleasedLink}\n${versionLink}`)
    : `${cut.trimEnd()}\n\n${unreleasedLink}\n${versionLink}\n`
  return cut
}

/** Builds the bundle aside (same depth as dist/, so source-map paths match) and compares it. */
export function distProblems(root: string): string[] {
  const fresh = '.dist-fresh'
  const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  // The one bundle command (package.json's), pointed at another directory.
  const bundle = String(packageJson.scripts.bundle).replace(/(?<=\s)dist(?=[\s/]|$)/g, fresh)
  if (!bundle.includes(fresh)) return ["package.json's bundle script does not write to dist/."]
  fs.rmSync(path.join(root, fresh), { recursive: true, force: true })
  try {
    execSync(bundle, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
    const files = (dir: string): string[] =>
      fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : []
    const committed = files(path.join(root, 'dist'))
    const built = files(path.join(root, fresh))
    const differing = [...new Set([...committed, ...built])].filter((file) => {
      const a = path.join(root, 'dist', file)
      const b = path.join(root, fresh, file)
      if (!fs.existsSync(a) || !fs.existsSync(b)) return true
      if (fs.statSync(a).isDirectory()) return false
      return !fs.readFileSync(a).equals(fs.readFileSync(b))
    })
    return differing.length
      ? [
          `dist/ differs from a fresh build of src/ (${differing.join(', ')}): run npm run bundle and commit dist/.`
        ]
      : []
  } finally {
    fs.rmSync(path.join(root, fresh), { recursive: true, force: true })
  }
}

function readPackageVersion(root: string): string {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version
}

function check(root: string, tag: string): number {
  const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8')
  const problems = releaseProblems(tag, readPackageVersion(root), changelog)
  // The build takes a while: only when everything else is right.
  if (!problems.length) problems.push(...distProblems(root))
  for (const problem of problems) console.error(problem)
  console.log(
    problems.length
      ? `${tag} cannot be released.`
      : `${tag} can be released: CHANGELOG.md has its section, package.json its version, dist/ equals a fresh build.`
  )
  return problems.length ? 1 : 0
}

function cut(root: string, version: string): void {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim()
  if (!VERSION.test(version)) throw new Error(`usage: npm run release -- X.Y.Z (got '${version}')`)
  if (git('status', '--porcelain')) throw new Error('Commit or stash your changes first.')
  if (git('tag', '--list', `v${version}`)) throw new Error(`Tag v${version} exists already.`)
  const changelogFile = path.join(root, 'CHANGELOG.md')
  const date = new Date().toISOString().slice(0, 10)
  const changelog = cutChangelog(fs.readFileSync(changelogFile, 'utf8'), version, date)
  fs.writeFileSync(changelogFile, changelog)
  execFileSync('npm', ['version', version, '--no-git-tag-version', '--allow-same-version'], {
    cwd: root,
    stdio: 'ignore'
  })
  git('commit', '--quiet', '-am', `Release v${version}`)
  git(
    'tag',
    '-a',
    `v${version}`,
    '-m',
    `v${version}\n\n${changelogSection(changelog, version) ?? ''}`
  )
  console.log(`Tagged v${version}. Publish it with: git push origin HEAD v${version}`)
  console.log(
    `The release workflow then checks it, creates the GitHub release and moves v${version.split('.')[0]}.`
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = process.cwd()
  const [command, argument] = process.argv.slice(2)
  try {
    if (command === 'check') {
      process.exitCode = check(root, argument ?? `v${readPackageVersion(root)}`)
    } else if (command === 'notes' && argument) {
      const version = versionOfTag(argument)
      const notes =
        version &&
        changelogSection(fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'), version)
      if (!notes) throw new Error(`CHANGELOG.md has no section for ${argument}.`)
      console.log(notes)
    } else if (command === 'cut' && argument) {
      cut(root, argument)
    } else {
      throw new Error(
        'usage: node --import tsx script/release.ts check [vX.Y.Z] | notes vX.Y.Z | cut X.Y.Z'
      )
    }
  } catch (error) {
    console.error((error as Error).message)
    process.exitCode = 1
  }
}
