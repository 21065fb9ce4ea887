// npm run emulator -- [--port N] [--seed file] [--env-file path] [--cert-dir dir] [--quiet]
// Prints KEY=value lines (also written to --env-file), then `EMULATOR READY`.
// Requests are logged to stderr; SIGINT/SIGTERM stop it cleanly.
//
// Node 20 itself grabs `--env-file <path>` even after the script name and exits
// ("not found") when that file does not exist yet; `--env-out <path>` is the
// same option under a name Node leaves alone (or create the file first).
import fs from 'node:fs'
import path from 'node:path'
import { startEmulator, type StartOptions } from './index.js'

function usage(message?: string): never {
  if (message) console.error(`emulator: ${message}`)
  console.error(
    'usage: npm run emulator -- [--port N] [--seed file.yaml|file.json] [--env-file|--env-out path] [--quiet]'
  )
  process.exit(2)
}

function parseArgs(argv: string[]): StartOptions & { envFile?: string } {
  const options: StartOptions & { envFile?: string } = {}
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
      case '--env-file':
      case '--env-out':
        options.envFile = value()
        break
      case '--':
        break
      case '--cert-dir':
        options.certDir = value()
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

const options = parseArgs(process.argv.slice(2))
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
