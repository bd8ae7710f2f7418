// Forms on the phone: opening a form whose listed version is cached downloads nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FormsRepo } from '../../mobile_web/app/forms_repo.js'
import { memStore } from '../../mobile_web/app/memstore.js'

function fakeApi (versions) {
  const calls = []
  return {
    calls,
    forms: async () => { calls.push('list'); return Object.entries(versions).map(([id, v]) => ({ form_id: id, version: v })) },
    form: async (id) => { calls.push(`form:${id}`); return { definition: { form_id: id, version: versions[id], media_files: [] } } }
  }
}

test('a listed, cached version opens without a download', async () => {
  const api = fakeApi({ visit: '1' })
  const repo = new FormsRepo(api, memStore())
  await repo.list()
  await new Promise((resolve) => setTimeout(resolve, 10)) // prefetch runs in the background
  const before = api.calls.length
  assert.equal((await repo.definition('visit')).version, '1')
  assert.equal(api.calls.length, before)
})

test('a new published version is fetched once the list names it', async () => {
  const versions = { visit: '1' }
  const api = fakeApi(versions)
  const repo = new FormsRepo(api, memStore())
  await repo.list()
  await new Promise((resolve) => setTimeout(resolve, 10))
  versions.visit = '2'
  await repo.list()
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal((await repo.definition('visit')).version, '2')
})

test('an unknown form falls back to the network', async () => {
  const api = fakeApi({ visit: '1' })
  const repo = new FormsRepo(api, memStore())
  assert.equal((await repo.definition('visit')).version, '1')
  assert.deepEqual(api.calls, ['form:visit'])
})

/** A memStore that counts get() calls. */
function countingStore () {
  const store = memStore()
  const get = store.get
  store.gets = 0
  store.get = (key) => { store.gets++; return get(key) }
  return store
}

test('a form the list has read is in memory: cached() answers at once, definition() reads no storage', async () => {
  const api = fakeApi({ visit: '1' })
  const kv = countingStore()
  const repo = new FormsRepo(api, kv)
  assert.equal(repo.cached('visit'), null)
  await repo.list()
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(repo.cached('visit').version, '1')
  const gets = kv.gets
  assert.equal((await repo.definition('visit')).version, '1')
  assert.equal(kv.gets, gets)
})

test('a new version the list names is not answered from memory until it has been read', async () => {
  const api = fakeApi({ visit: '1' })
  const repo = new FormsRepo(api, memStore())
  await repo.list()
  await new Promise((resolve) => setTimeout(resolve, 10))
  api.forms = async () => [{ form_id: 'visit', version: '2' }] // listed, but its download has not finished
  api.form = () => new Promise(() => {})
  await repo.list()
  assert.equal(repo.cached('visit'), null)
  assert.equal(repo.cached('visit', '1').version, '1')
})

test('offline, the cached list still puts its definitions in memory', async () => {
  const api = fakeApi({ visit: '1' })
  const kv = memStore()
  await new FormsRepo(api, kv).list()
  await new Promise((resolve) => setTimeout(resolve, 10))
  const offline = { forms: async () => { throw new TypeError('Failed to fetch') }, form: async () => { throw new TypeError('Failed to fetch') } }
  const repo = new FormsRepo(offline, kv)
  assert.equal((await repo.list()).offline, true)
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(repo.cached('visit').version, '1')
})

test('offline, each user sees only their own cached form list', async () => {
  let user = 'worker'
  const kv = memStore()
  await new FormsRepo(fakeApi({ visit: '1' }), kv, null, { user: () => user }).list()
  user = 'worker2'
  await new FormsRepo(fakeApi({ move_out: '4' }), kv, null, { user: () => user }).list()
  const offline = { forms: async () => { throw new TypeError('Failed to fetch') }, form: async () => { throw new TypeError('Failed to fetch') } }
  const repo = new FormsRepo(offline, kv, null, { user: () => user })
  assert.deepEqual((await repo.list()).forms.map((f) => f.form_id), ['move_out'])
  user = 'worker3'
  await assert.rejects(repo.list())
  assert.equal(repo.listed, null)
  user = 'worker'
  assert.deepEqual((await repo.list()).forms.map((f) => f.form_id), ['visit'])
})
