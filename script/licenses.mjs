// Writes dist/licenses.txt from the source maps of every chunk of the bundle: ncc's own
// --license output misses the ESM packages it concatenates.
// usage: node script/licenses.mjs dist dist/licenses.txt
import fs from 'node:fs'
import path from 'node:path'

const [distDir, outFile] = process.argv.slice(2)
const dirs = new Set()
for (const mapFile of fs.readdirSync(distDir).filter((f) => f.endsWith('.js.map'))) {
  const { sources } = JSON.parse(fs.readFileSync(path.join(distDir, mapFile), 'utf8'))
  for (const source of sources) {
    const match = source.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//)
    if (match) dirs.add(path.resolve(distDir, match[1].replace(/^webpack:\/\/[^/]*\//, '')))
  }
}
const entries = []
for (const dir of [...dirs].sort()) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const licenseFile = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f))
  const text = licenseFile ? fs.readFileSync(path.join(dir, licenseFile), 'utf8').trim() : ''
  entries.push(`${pkg.name}@${pkg.version}\n${pkg.license ?? 'UNKNOWN'}\n${text}\n`)
}
fs.writeFileSync(outFile, entries.join('\n'))
