// Entity lists on the phone: snapshot then delta by cursor, removals, and ODK-style rows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EntityLists, datasetOf } from '../../mobile_web/app/entities.js'
import { memStore } from '../../mobile_web/app/memstore.js'

test('sync pages through a snapshot, then applies upserts and removals from the cursor', async () => {
  const pages = {
    '': { items: [{ op: 'upsert', uuid: 'u1', label: '阿里', version: 1, properties: { phone: '138' } }], next_cursor: 's1', has_more: true },
    s1: { items: [{ op: 'upsert', uuid: 'u2', label: '艾古丽', version: 3, properties: {} }], next_cursor: 'd1', has_more: false },
    d1: { items: [{ op: 'remove', uuid: 'u1' }, { op: 'upsert', uuid: 'u2', label: '艾古丽', version: 4, properties: { phone: null } }], next_cursor: 'd2', has_more: false }
  }
  const asked = []
  const api = { sync: async (ds, cursor) => { asked.push([ds, cursor]); return pages[cursor || ''] } }
  const lists = new EntityLists(api, memStore())
  assert.equal(await lists.sync('persons'), 2)
  assert.deepEqual((await lists.rows('persons.csv')).map((r) => r.name), ['u1', 'u2'])
  assert.deepEqual((await lists.rows('persons.csv'))[0], { name: 'u1', label: '阿里', __version: '1', phone: '138' })
  await lists.sync('persons')
  assert.deepEqual(asked, [['persons', null], ['persons', 's1'], ['persons', 'd1']])
  assert.deepEqual(await lists.rows('persons'), [{ name: 'u2', label: '艾古丽', __version: '4', phone: '' }])
  assert.equal(datasetOf('households.CSV'), 'households')
})

test('each user has their own lists; a user keeps theirs after another user synced', async () => {
  let user = 'worker'
  const scopes = { worker: [{ op: 'upsert', uuid: 'a', label: '阿里', version: 1, properties: {} }], worker2: [{ op: 'upsert', uuid: 'b', label: '白兰', version: 1, properties: {} }] }
  const api = { sync: async () => ({ items: scopes[user], next_cursor: 'c-' + user, has_more: false }) }
  const kv = memStore()
  const lists = new EntityLists(api, kv, { user: () => user })
  await lists.sync('persons')
  user = 'worker2'
  assert.deepEqual(await lists.rows('persons.csv'), [])
  await lists.sync('persons')
  assert.deepEqual((await lists.rows('persons.csv')).map((r) => r.name), ['b'])
  user = 'worker'
  const offline = new EntityLists({ sync: async () => { throw new TypeError('Failed to fetch') } }, kv, { user: () => user })
  assert.deepEqual((await offline.rows('persons.csv')).map((r) => r.name), ['a'])
})

test('a list stored before lists were kept per user goes to the user who adopts it', async () => {
  const kv = memStore()
  await kv.put({ cursor: 'c1', rows: { a: { name: 'a', label: '阿里', __version: '1' } } }, 'entities:persons')
  const lists = new EntityLists({}, kv, { user: () => 'worker' })
  await lists.adopt('worker')
  assert.deepEqual((await lists.rows('persons')).map((r) => r.name), ['a'])
  assert.equal(await kv.get('entities:persons'), undefined)
  const other = new EntityLists({}, kv, { user: () => 'worker2' })
  assert.deepEqual(await other.rows('persons'), [])
})
