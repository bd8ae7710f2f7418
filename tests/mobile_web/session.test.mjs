// The session: the server judges a token (never the phone's clock), and logging out or another
// user logging in drops the service worker's cached API answers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { API_CACHE_PREFIX, Session } from '../../mobile_web/app/session.js'
import { memStore } from '../../mobile_web/app/memstore.js'
import { ROOT } from './shell_version.mjs'

const SERVER_NOW = Date.parse('2026-11-28T08:00:00+08:00')
const WEEK = 7 * 86400000
const answer = (token, hours = 12) => ({ access_token: token, expires_at: new Date(SERVER_NOW + hours * 3600000).toISOString() })

function fakeStorage () {
  const m = new Map()
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) }
}

function fakeCaches (names) {
  const have = new Set(names)
  return { have, keys: async () => [...have], delete: async (n) => have.delete(n) }
}

async function session ({ caches = fakeCaches([]) } = {}) {
  return { s: await new Session(memStore(), { storage: fakeStorage(), caches }).load(), caches }
}

for (const skew of [WEEK, -WEEK]) {
  test(`a phone clock ${skew > 0 ? 'a week ahead' : 'a week behind'} changes nothing: the token is used until the server refuses it`, async () => {
    const realNow = Date.now
    Date.now = () => SERVER_NOW + skew
    try {
      const { s } = await session()
      await s.save('worker', answer('t1'))
      assert.equal(s.token(), 't1')
      assert.equal(s.expired, false)
      Date.now = () => SERVER_NOW + skew + 30 * 86400000 // a month later by the phone: still the server's call
      assert.equal(s.token(), 't1')
    } finally {
      Date.now = realNow
    }
  })
}

test('a 401 to the current token asks for a new login and keeps the user; a 401 to an older token changes nothing', async () => {
  const { s } = await session()
  const changes = []
  s.addEventListener('change', (e) => changes.push(e.detail && e.detail.token))
  await s.save('worker', answer('t1'))
  await s.save('worker', answer('t2'))
  await s.expire('t1') // the answer to a call made before the new login
  assert.equal(s.token(), 't2')
  await s.expire('t2')
  assert.equal(s.token(), null)
  assert.equal(s.expired, true)
  assert.equal(s.username, 'worker')
  assert.deepEqual(changes, ['t1', 't2', null])
  const again = await new Session(s.kv, { storage: fakeStorage(), caches: null }).load() // after a restart
  assert.equal(again.expired, true)
  assert.equal(again.username, 'worker')
})

test('a token belongs to its user: tokenFor gives it only for that user\'s items', async () => {
  const { s } = await session()
  await s.save('worker', answer('t1'))
  assert.equal(s.tokenFor('worker'), 't1')
  assert.equal(s.tokenFor('worker2'), null)
  assert.equal(s.tokenFor(undefined), null)
})

test('logout tells the server, forgets the user and drops cached API answers, not the shell', async () => {
  const caches = fakeCaches(['gridreg-shell-sha-1', API_CACHE_PREFIX + 'v1', 'other-app'])
  const { s } = await session({ caches })
  await s.save('worker', answer('t1'))
  let loggedOut = 0
  await s.logout({ logout: async () => { loggedOut++ } })
  assert.equal(loggedOut, 1)
  assert.equal(s.known, false)
  assert.equal(s.username, '')
  assert.equal(s.token(), null)
  assert.deepEqual([...caches.have].sort(), ['gridreg-shell-sha-1', 'other-app'])
  const again = await new Session(s.kv, { storage: fakeStorage(), caches }).load()
  assert.equal(again.known, false)
})

test('logout offline still logs out', async () => {
  const { s } = await session()
  await s.save('worker', answer('t1'))
  await s.logout({ logout: async () => { throw new TypeError('Failed to fetch') } })
  assert.equal(s.known, false)
})

test('another user logging in drops cached API answers; the same user again keeps them', async () => {
  const caches = fakeCaches([API_CACHE_PREFIX + 'v1'])
  const { s } = await session({ caches })
  await s.save('worker', answer('t1'))
  await s.expire('t1')
  caches.have.add(API_CACHE_PREFIX + 'v1')
  await s.save('worker', answer('t2'))
  assert.deepEqual([...caches.have], [API_CACHE_PREFIX + 'v1'])
  await s.expire('t2')
  await s.save('worker2', answer('t3'))
  assert.deepEqual([...caches.have], [])
  assert.equal(s.username, 'worker2')
})

test('the service worker caches API answers under the name the session drops', () => {
  const m = /const API_CACHE = '([^']+)'/.exec(readFileSync(join(ROOT, 'sw.js'), 'utf8'))
  assert.ok(m && m[1].startsWith(API_CACHE_PREFIX), m && m[1])
})
