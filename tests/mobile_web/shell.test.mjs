// The app shell as shipped: every module loads (no build step, so a typo would only show
// on a phone), the service worker precaches exactly the shell files under a version that
// is a hash of their contents, nothing comes from a CDN, and JS+CSS stay under 150 KB gzipped.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { files, ROOT, shellFiles, shellVersion } from './shell_version.mjs'
import { API_CACHE } from '../../mobile_web/app/session.js'

const BUDGET = 150 * 1024
const sw = () => readFileSync(join(ROOT, 'sw.js'), 'utf8')

test('sw.js precaches exactly the shell files', () => {
  const listed = [...sw().matchAll(/^\s+'\.\/([^']*)',?$/gm)].map((m) => m[1]).filter(Boolean).sort()
  assert.deepEqual(listed, shellFiles())
})

test('the shell cache version is the hash of the shell files (run shell_version.mjs --write)', () => {
  const m = /const VERSION = '([^']+)'/.exec(sw())
  assert.equal(m && m[1], shellVersion())
})

test('sw.js caches API answers under the one name app/session.js gives it (run shell_version.mjs --write)', () => {
  const m = /const API_CACHE = '([^']+)'/.exec(sw())
  assert.equal(m && m[1], API_CACHE)
})

test('no CDN: nothing is loaded from another origin', () => {
  for (const f of files().filter((x) => /\.(js|html|css|webmanifest)$/.test(x))) {
    const text = readFileSync(join(ROOT, f), 'utf8')
    assert.doesNotMatch(text, /(from|import\(|src=|href=|url\()\s*['"]?(https?:)?\/\//, f)
  }
})

test('JS + CSS stay within 150 KB gzipped', () => {
  let total = 0
  const sizes = {}
  for (const f of files().filter((x) => /\.(js|css)$/.test(x))) {
    sizes[f] = gzipSync(readFileSync(join(ROOT, f)), { level: 9 }).length
    total += sizes[f]
  }
  console.log(`mobile_web JS+CSS gzipped: ${(total / 1024).toFixed(1)} KB in ${Object.keys(sizes).length} files`)
  assert.ok(total <= BUDGET, `${total} bytes gzipped > ${BUDGET}`)
})

test('every app module loads and its relative imports resolve', async () => {
  for (const f of files().filter((x) => x.startsWith('app/') && x.endsWith('.js') && x !== 'app/main.js')) {
    await import(pathToFileURL(join(ROOT, f)).href)
  }
  const text = readFileSync(join(ROOT, 'app/main.js'), 'utf8')
  for (const m of text.matchAll(/from '(\.[^']+)'/g)) statSync(join(ROOT, 'app', m[1]))
})

test('index.html: zh-CN, phone viewport, import map, manifest and the module entry point', () => {
  const html = readFileSync(join(ROOT, 'index.html'), 'utf8')
  assert.match(html, /<html lang="zh-CN">/)
  assert.match(html, /name="viewport" content="width=device-width, initial-scale=1/)
  const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1])
  for (const target of Object.values(map.imports)) statSync(join(ROOT, target))
  assert.match(html, /<script type="module" src="app\/main\.js">/)
  const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.webmanifest'), 'utf8'))
  assert.equal(manifest.name, '网格采集')
  for (const icon of manifest.icons) statSync(join(ROOT, icon.src))
})

