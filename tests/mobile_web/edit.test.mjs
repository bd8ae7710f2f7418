// Reopening a sent submission as an edit: a new draft with a new instanceID whose
// deprecatedID is the sent one, carrying its answers and photos; the API sends deprecated_id.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Outbox } from '../../mobile_web/app/outbox.js'
import { memStore } from '../../mobile_web/app/memstore.js'
import { submissionBody } from '../../mobile_web/app/api.js'

function setup () {
  let clock = 1000
  const box = new Outbox(memStore('instanceID'), { owner: () => 'worker', now: () => clock })
  return { box, tick: (ms) => { clock += ms } }
}

async function sentItem (box, tick) {
  const photo = new Blob(['jpeg'], { type: 'image/jpeg' })
  await box.saveDraft({
    instanceID: 'old', formId: 'reg', formVersion: '3', title: '登记', label: '登记-马建国', lang: 'zh-CN',
    data: { identity: { full_name: '马建国', photo: '1.jpg' }, meta: { instanceID: 'uuid:old', instanceName: '登记-马建国' } },
    files: { '1.jpg': photo },
    meta: { device_id: 'web:1', start: '2026-11-28T08:00:00.000+08:00', end: '2026-11-28T08:05:00.000+08:00' }
  })
  await box.enqueue('old')
  tick(1)
  await box.flush(async () => ({ status: 201, body: {} }))
  assert.equal((await box.get('old')).state, 'sent')
}

test('a sent item reopens as a new draft that replaces it', async () => {
  const { box, tick } = setup()
  await sentItem(box, tick)
  const edit = await box.startEdit('old', 'new')
  assert.equal(edit.instanceID, 'new')
  assert.equal(edit.deprecatedID, 'old')
  assert.equal(edit.state, 'draft')
  assert.deepEqual([edit.formId, edit.formVersion, edit.label], ['reg', '3', '登记-马建国'])
  assert.equal(edit.data.identity.full_name, '马建国')
  assert.equal(edit.data.meta.instanceID, 'uuid:new')
  assert.deepEqual(edit.meta, {}) // start/end/device are set again when the edit is finished
  assert.equal(await edit.files['1.jpg'].text(), 'jpeg')
  // the sent one is untouched
  const old = await box.get('old')
  assert.equal(old.state, 'sent')
  assert.equal(old.data.meta.instanceID, 'uuid:old')
  assert.equal(old.data.identity.full_name, '马建国')
  // both are listed
  assert.deepEqual((await box.list()).map((i) => [i.instanceID, i.state]), [['old', 'sent'], ['new', 'draft']])
})

test('the edit keeps deprecatedID through draft saves and is sent with deprecated_id', async () => {
  const { box, tick } = setup()
  await sentItem(box, tick)
  await box.startEdit('old', 'new')
  const fixed = await box.get('new')
  fixed.data.identity.full_name = '马建军'
  // FormScreen saves without deprecatedID in its fields; the stored one survives
  await box.saveDraft({ instanceID: 'new', formId: 'reg', formVersion: '3', data: fixed.data, files: fixed.files, meta: { start: 's' } })
  await box.enqueue('new')
  tick(1)
  let body = null
  await box.flush(async (item) => { body = submissionBody(item); return { status: 201, body: {} } })
  const payload = JSON.parse(body.get('submission'))
  assert.equal(payload.instance_id, 'new')
  assert.equal(payload.deprecated_id, 'old')
  assert.equal(payload.data.identity.full_name, '马建军')
  assert.equal(await body.get('1.jpg').text(), 'jpeg') // the server does not inherit photos
  assert.equal((await box.get('new')).state, 'sent')
})

test('reopening again returns the unsent edit; once the edit is sent the old one is closed', async () => {
  const { box, tick } = setup()
  await sentItem(box, tick)
  await box.startEdit('old', 'new')
  assert.equal((await box.startEdit('old', 'other')).instanceID, 'new')
  assert.equal((await box.list()).length, 2)
  await box.enqueue('new')
  tick(1)
  await box.flush(async () => ({ status: 201, body: {} }))
  await assert.rejects(box.startEdit('old', 'third'), /already edited/)
  // the edit itself can be edited in turn
  assert.equal((await box.startEdit('new', 'third')).deprecatedID, 'new')
})

test('only sent items can be reopened, and only under a new id', async () => {
  const { box, tick } = setup()
  await box.saveDraft({ instanceID: 'd', formId: 'reg', formVersion: '3', data: {} })
  await assert.rejects(box.startEdit('d', 'x'), /not sent/)
  await assert.rejects(box.startEdit('missing', 'x'), /no submission/)
  await sentItem(box, tick)
  await assert.rejects(box.startEdit('old', 'old'), /new instanceID/)
  await assert.rejects(box.startEdit('old', ''), /new instanceID/)
})
