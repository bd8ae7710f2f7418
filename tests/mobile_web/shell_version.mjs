// The service worker's cache version: a hash of every shell file. After changing a file
// under mobile_web/, run `node tests/mobile_web/shell_version.mjs --write` to update sw.js.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { API_CACHE } from '../../mobile_web/app/session.js'

export const ROOT = fileURLToPath(new URL('../../mobile_web/', import.meta.url))
const SHELL_EXT = /\.(js|css|html|webmanifest|png|svg)$/
// The supervisors' console and its map library are served beside the phone client but are not
// part of it: the phone never precaches or downloads them (tests/mobile_web/console.test.mjs).
const NOT_PHONE = /^(console\/|vendor\/leaflet\/)/

/** Every file under mobile_web/, as sorted '/'-separated relative paths. */
export function allFiles (dir = ROOT) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? allFiles(p) : [relative(ROOT, p).split(sep).join('/')]
  }).sort()
}

/** The phone client's files: everything under mobile_web/ but the console and its map library. */
export const files = () => allFiles().filter((f) => !NOT_PHONE.test(f))

export const shellFiles = () => files().filter((f) => SHELL_EXT.test(f) && f !== 'sw.js')

export function shellVersion () {
  const h = createHash('sha256')
  for (const f of shellFiles()) h.update(f + '\0').update(readFileSync(join(ROOT, f)))
  return 'sha-' + h.digest('hex').slice(0, 12)
}

/** Rewrite sw.js with the current version, the shell list and the API cache's name (app/session.js). */
export function writeServiceWorker () {
  const path = join(ROOT, 'sw.js')
  const list = ["  './',", ...shellFiles().map((f) => `  './${f}',`)].join('\n').replace(/,$/, '')
  const text = readFileSync(path, 'utf8')
    .replace(/const VERSION = '[^']*'/, `const VERSION = '${shellVersion()}'`)
    .replace(/const API_CACHE = '[^']*'/, `const API_CACHE = '${API_CACHE}'`)
    .replace(/const SHELL = \[\n[\s\S]*?\n\]/, `const SHELL = [\n${list}\n]`)
  writeFileSync(path, text)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--write')) writeServiceWorker()
  console.log(shellVersion())
}
