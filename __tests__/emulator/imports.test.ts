// The emulator's modules import one another without a cycle, type-only imports included: shared
// shapes live in world.ts, which imports no module that imports it.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'

const ROOT = path.resolve('emulator')

function modules(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return modules(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

/** Relative imports and re-exports of a module (`import type` too), as resolved file paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8')
  const found = [...text.matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s+'(\.{1,2}\/[^']+)'/g)]
  return found.map((m) => path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')))
}

/** Every import cycle, each as the chain of module paths relative to emulator/. */
function importCycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((i) => files.includes(i))]))
  const cycles: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (file: string) => {
    state.set(file, 'visiting')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'visiting') {
        cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(ROOT, f)))
      } else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of files) if (!state.has(file)) visit(file)
  return cycles
}

describe('emulator module graph', () => {
  it('has no import cycle', () => {
    const files = modules(ROOT)
    expect(files.length).toBeGreaterThan(20)
    expect(importCycles(files)).toEqual([])
  })

  it('finds a cycle made only of type imports', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-imports-'))
    try {
      fs.writeFileSync(
        path.join(dir, 'a.ts'),
        "import type { B } from './b.js'\nexport type A = B\n"
      )
      fs.writeFileSync(
        path.join(dir, 'b.ts'),
        "import type { A } from './a.js'\nexport type B = A\n"
      )
      const cycles = importCycles([path.join(dir, 'a.ts'), path.join(dir, 'b.ts')])
      expect(cycles).toHaveLength(1)
      expect(cycles[0].map((f) => path.basename(f))).toEqual(['a.ts', 'b.ts', 'a.ts'])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
