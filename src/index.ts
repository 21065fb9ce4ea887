// Entry point of the bundle: everything lives in main.ts so tests can import run().
import { run } from './main.js'

await run()
