// npm run emulator -- [--port N] [--seed file] [--clusters N] [--env-file path] [--cert-dir dir] [--quiet]
// Prints KEY=value lines (also written to --env-file, with absolute paths), then `EMULATOR READY`.
// Requests are logged to stderr; SIGINT/SIGTERM stop it cleanly, and so does the end of the
// process that started it: npm passes a SIGTERM on to the `sh -c` running the script, which
// exits without passing it on, so `kill <npm pid>` must not leave the server running.
//
// Node 20 itself grabs `--env-file <path>` even after the script name and exits
// ("not found") when that file does not exist yet; `--env-out <path>` is the
// same option under a name Node leaves alone (or create the file first).
import fs from 'node:fs'
import path from 'node:path'
import { withClusters } from './fleet.js'
import { startEmulator, type StartOptions } from './index.js'
import { resolveSeed } from './seed.js'

function usage(message?: string): never {
  if (message) console.error(`emulator: ${message}`)
  console.error(
    'usage: npm run emulator -- [--port N] [--seed file.yaml|file.json] [--clusters N] [--env-file|--env-out path] [--quiet]'
  )
  process.exit(2)
}

function parseArgs(argv: string[]): StartOptions & { envFile?: string; clusters?: number } {
  const options: StartOptions & { envFile?: string; clusters?: number } = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) usage(`${arg} needs a value`)
      return v
    }
    switch (arg) {
      case '--port': {
        const port = Number(value())
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          usage('--port must be an integer between 0 and 65535')
        options.port = port
        break
      }
      case '--seed':
        options.seed = value()
        break
      case '--clusters': {
        const clusters = Number(value())
        if (!Number.isInteger(clusters) || clusters < 1) usage('--clusters must be an integer >= 1')
        options.clusters = clusters
        break
      }
      case '--env-file':
      case '--env-out':
        options.envFile = value()
        break
      case '--':
        break
      case '--cert-dir':
        // Absolute, so NODE_EXTRA_CA_CERTS in the env file works from any directory.
        options.certDir = path.resolve(value())
        break
      case '--quiet':
        options.quiet = true
        break
      case '--help':
      case '-h':
        usage()
        break
      default:
        usage(`unknown argument '${arg}'`)
    }
  }
  return options
}

// Taken first: the parent may exit as soon as it reads EMULATOR READY.
const parent = process.ppid
const options = parseArgs(process.argv.slice(2))
// A fleet: N more Connected clusters (edge-site-001 …) in the seed's first resource group.
if (options.clusters) options.seed = withClusters(resolveSeed(options.seed), options.clusters)
const emulator = await startEmulator(options)
const lines = Object.entries({ ...emulator.env, KUBECONFIG: emulator.kube.kubeconfigPath }).map(
  ([k, v]) => `${k}=${v}`
)
if (options.envFile) {
  fs.mkdirSync(path.dirname(path.resolve(options.envFile)), { recursive: true })
  fs.writeFileSync(options.envFile, `${lines.join('\n')}\n`, { mode: 0o600 })
}
process.stdout.write(`${lines.join('\n')}\nEMULATOR READY\n`)

let stopping = false
const stop = (signal: string): void => {
  if (stopping) return
  stopping = true
  console.error(`[emulator] ${signal}: stopping`)
  emulator.stop().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`[emulator] stop failed: ${String(e)}`)
      process.exit(1)
    }
  )
}
process.on('SIGINT', () => stop('SIGINT'))
process.on('SIGTERM', () => stop('SIGTERM'))
setInterval(() => {
  if (process.ppid !== parent) stop('the process that started it exited')
}, 250).unref()
