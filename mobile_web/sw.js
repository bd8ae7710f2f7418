// Service worker: precaches the shell (HTML, CSS, icons, vendor and every app module) in a
// versioned cache so the client opens offline; GET API calls are network-first with a
// cached fallback; POSTs are never intercepted (the page's outbox owns sending); activate
// drops old caches. It never touches IndexedDB, so an update cannot lose queued work.
// VERSION is a hash of the shell files and API_CACHE the name app/session.js gives the cache of
// API answers (dropped at logout): after a change run `node tests/mobile_web/shell_version.mjs
// --write`, which writes both (tests/mobile_web/shell.test.mjs checks them).

const VERSION = 'sha-0732f50eaf4c'
const SHELL_CACHE = `gridreg-shell-${VERSION}`
const API_CACHE = 'gridreg-api-v1'
const KEEP = new Set([SHELL_CACHE, API_CACHE])

const SHELL = [
  './',
  './app/api.js',
  './app/components/App.js',
  './app/components/FieldFrame.js',
  './app/components/FormList.js',
  './app/components/FormScreen.js',
  './app/components/GeopointField.js',
  './app/components/GroupView.js',
  './app/components/ImageField.js',
  './app/components/InputField.js',
  './app/components/LanguageSwitch.js',
  './app/components/LoginScreen.js',
  './app/components/OutboxScreen.js',
  './app/components/Question.js',
  './app/components/SelectField.js',
  './app/entities.js',
  './app/forms/expr.js',
  './app/forms/expr/coercion.js',
  './app/forms/expr/compiler.js',
  './app/forms/expr/context.js',
  './app/forms/expr/dates.js',
  './app/forms/expr/digest.js',
  './app/forms/expr/document.js',
  './app/forms/expr/errors.js',
  './app/forms/expr/functions_core.js',
  './app/forms/expr/functions_math.js',
  './app/forms/expr/functions_odk.js',
  './app/forms/expr/functions_time.js',
  './app/forms/expr/geo.js',
  './app/forms/expr/lexer.js',
  './app/forms/expr/numbers.js',
  './app/forms/expr/parser.js',
  './app/forms/expr/registry.js',
  './app/forms/expr/tz.js',
  './app/forms/expr/tz_offset.js',
  './app/forms/instance.js',
  './app/forms/model.js',
  './app/forms/resident_id.js',
  './app/forms/submission.js',
  './app/forms/values.js',
  './app/forms_repo.js',
  './app/geo.js',
  './app/i18n.js',
  './app/idb.js',
  './app/main.js',
  './app/memstore.js',
  './app/outbox.js',
  './app/photo.js',
  './app/returned.js',
  './app/session.js',
  './app/ui.js',
  './icons/icon-192.png',
  './icons/icon-512.png',
  './icons/icon.svg',
  './index.html',
  './manifest.webmanifest',
  './styles.css',
  './vendor/htm-preact-standalone.module.js'
]

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('gridreg-') && !KEEP.has(k)).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()))
})

async function networkFirst (request) {
  const cache = await caches.open(API_CACHE)
  try {
    const response = await fetch(request)
    if (response.status === 200) cache.put(request, response.clone())
    return response
  } catch (e) {
    const hit = await cache.match(request)
    if (hit) return hit
    throw e
  }
}

async function shellFirst (request) {
  const cache = await caches.open(SHELL_CACHE)
  const hit = await cache.match(request, { ignoreSearch: true })
  if (hit) return hit
  const response = await fetch(request)
  if (response.status === 200 && new URL(request.url).origin === self.location.origin) cache.put(request, response.clone())
  return response
}

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return // POST, DELETE…: straight to the network
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (url.pathname.includes('/api/')) {
    if (request.headers.get('Authorization') || url.pathname.includes('/forms')) event.respondWith(networkFirst(request))
    return
  }
  if (request.mode === 'navigate') {
    event.respondWith(caches.open(SHELL_CACHE).then((c) => c.match('./')).then((hit) => hit || fetch(request)))
    return
  }
  event.respondWith(shellFirst(request))
})

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting()
})
