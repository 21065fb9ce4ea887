// The bundle the end-to-end tests run: built from the current src/ (never whatever dist/ was
// last committed), once per change of its sources. A build is kept under
// node_modules/.cache/action-bundle/<hash of src/, package-lock.json, tsconfig.json>/, so a
// second test run, or the tests after `npm run bundle` or check-dist, build nothing.
//
// usage: node script/test-bundle.mjs             builds if needed, prints the bundle's entry
//        node script/test-bundle.mjs --adopt dist records dist/ as the build of the current
//                                               sources (after `npm run bundle` built it)

import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const cacheRoot = path.join(root, 'node_modules', '.cache', 'action-bundle')
/** Builds kept: enough to switch between a few branches without rebuilding. */
const KEEP = 4

function filesUnder(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name)
      return entry.isDirectory() ? filesUnder(full) : [full]
    })
    .sort()
}

/** What the bundle is made of: its sources, the locked dependencies and the compiler options. */
export function sourceHash() {
  const hash = crypto.createHash('sha256')
  const inputs = [
    ...filesUnder(path.join(root, 'src')),
    path.join(root, 'package-lock.json'),
    path.join(root, 'tsconfig.json')
  ]
  for (const file of inputs) {
    hash.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

function prune() {
  const builds = fs
    .readdirSync(cacheRoot)
    .map((name) => ({ name, time: fs.statSync(path.join(cacheRoot, name)).mtimeMs }))
    .sort((a, b) => b.time - a.time)
  for (const old of builds.slice(KEEP)) {
    fs.rmSync(path.join(cacheRoot, old.name), { recursive: true, force: true })
  }
}

/** Moves a finished build into the cache under `hash` (atomically: never a half-built entry). */
function store(built, hash) {
  const target = path.join(cacheRoot, hash)
  if (fs.existsSync(path.join(target, 'index.js'))) {
    fs.rmSync(built, { recursive: true, force: true })
  } else {
    fs.rmSync(target, { recursive: true, force: true })
    fs.renameSync(built, target)
  }
  fs.utimesSync(target, new Date(), new Date())
  prune()
  return path.join(target, 'index.js')
}

/** The entry of a bundle of the current sources, built now if none is cached. */
export function ensureBundle({ log = () => undefined } = {}) {
  const hash = sourceHash()
  const entry = path.join(cacheRoot, hash, 'index.js')
  if (fs.existsSync(entry)) return entry
  fs.mkdirSync(cacheRoot, { recursive: true })
  const building = fs.mkdtempSync(path.join(cacheRoot, `.building-${hash}-`))
  log(`Building the action's bundle from src/ for the tests (sources ${hash})...`)
  const started = Date.now()
  try {
    execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'),
        'build',
        'src/index.ts',
        '-o',
        building,
        '--source-map',
        '-q'
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] }
    )
  } catch (error) {
    fs.rmSync(building, { recursive: true, force: true })
    throw new Error(`Building the bundle from src/ failed (ncc): ${error.message}`, {
      cause: error
    })
  }
  if (sourceHash() !== hash) {
    fs.rmSync(building, { recursive: true, force: true })
    throw new Error('src/ changed while the bundle was being built: run the tests again')
  }
  log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
  return store(building, hash)
}

/** Records `dir` (a fresh `npm run bundle` output) as the bundle of the current sources. */
export function adopt(dir) {
  const hash = sourceHash()
  fs.mkdirSync(cacheRoot, { recursive: true })
  const copy = fs.mkdtempSync(path.join(cacheRoot, `.building-${hash}-`))
  fs.cpSync(dir, copy, { recursive: true })
  return store(copy, hash)
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--adopt')
  const entry =
    at > 0
      ? adopt(path.resolve(process.argv[at + 1] ?? 'dist'))
      : ensureBundle({ log: (line) => console.error(line) })
  console.log(entry)
}

/** Jest's globalSetup: the tests' workers inherit the bundle's path in ACTION_BUNDLE. */
export default function globalSetup() {
  process.env.ACTION_BUNDLE = ensureBundle({ log: (line) => console.error(`\n${line}`) })
}
