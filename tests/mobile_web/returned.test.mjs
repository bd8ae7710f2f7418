// 需要修改: submissions a supervisor returned, cached per user, opened as corrections that the
// outbox sends as edits (deprecated_id), and gone once the correction is sent or the server
// stops listing them. A fake API stands in for the server; the outbox and stores are real.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Outbox } from '../../mobile_web/app/outbox.js'
import { memStore } from '../../mobile_web/app/memstore.js'
import { ReturnedList, answersFrom, bareId } from '../../mobile_web/app/returned.js'
import { createApi, submissionBody } from '../../mobile_web/app/api.js'

const COMMENT = '电话号码少一位，请核实后重新提交'

function returnedRow (id, extra = {}) {
  return Object.assign({
    instance_id: 'uuid:' + id,
    root_id: 'uuid:' + id,
    form_id: 'reg',
    form_version: '3',
    review_state: 'returned',
    comment: COMMENT,
    received_at: '2026-12-07T02:00:00+00:00',
    data: {
      identity: { full_name: '马建国', id_number: '6401**********0218', phone: '138****5678', photo: '1.jpg' },
      meta: { instanceID: 'uuid:' + id, instanceName: '登记-马建国' }
    }
  }, extra)
}

function fakeApi (byUser) {
  const calls = []
  const api = {
    user: 'worker',
    online: true,
    async returned () {
      calls.push('returned')
      if (!api.online) throw new Error('offline')
      return { items: byUser[api.user] || [] }
    },
    async comments (id) {
      calls.push('comments ' + id)
      return { items: [{ body: '旧意见', created_at: '2026-12-06T01:00:00+00:00', author_name: '张督导' },
        { body: COMMENT, created_at: '2026-12-07T03:04:00+00:00', author_name: '李督导', review_state: 'returned' }] }
    },
    async submission (id) {
      calls.push('submission ' + id)
      return { instance_id: id, attachments: [{ name: '1.jpg', received: true }, { name: 'missing.jpg', received: false }] }
    },
    async attachment (id, name) {
      calls.push(`attachment ${id} ${name}`)
      return new Blob(['server-jpeg'], { type: 'image/jpeg' })
    }
  }
  api.calls = calls
  return api
}

function setup (byUser) {
  let clock = 1000
  let user = 'worker'
  const api = fakeApi(byUser)
  const who = () => user
  const outbox = new Outbox(memStore('instanceID'), { owner: who, now: () => clock })
  const kv = memStore()
  const returned = new ReturnedList(api, kv, outbox, { user: who, now: () => clock })
  return {
    api, kv, outbox, returned,
    tick: (ms) => { clock += ms },
    login: (name) => { user = name; api.user = name }
  }
}

/** The worker's registration, sent from this phone (answers in full, photo kept as a Blob). */
async function sentFromPhone (outbox, id) {
  await outbox.saveDraft({
    instanceID: id, formId: 'reg', formVersion: '3', title: '登记', label: '登记-马建国',
    data: { identity: { full_name: '马建国', id_number: '640102199001010218', phone: '1380013800', photo: '1.jpg' }, meta: { instanceID: 'uuid:' + id, instanceName: '登记-马建国' } },
    files: { '1.jpg': new Blob(['phone-jpeg'], { type: 'image/jpeg' }) },
    meta: { device_id: 'web:1' }
  })
  await outbox.enqueue(id)
  await outbox.flush(async () => ({ status: 201, body: {} }))
}

test('bareId and answersFrom: the outbox key and the answers without the server masks', () => {
  assert.equal(bareId('uuid:abc'), 'abc')
  assert.equal(bareId('abc'), 'abc')
  const wrapped = { data: { identity: { id_number: '6401**********0218', phone: '138****5678', note: '5 * 3' }, kids: [{ eth: '**', n: '甲' }] } }
  assert.deepEqual(answersFrom(wrapped, 'data'), { identity: { id_number: '', phone: '', note: '5 * 3' }, kids: [{ eth: '', n: '甲' }] })
  assert.deepEqual(answersFrom({ a: '1' }, 'data'), { a: '1' })
})

test('refresh keeps the list per user with the comment, its date and author, and the server photos', async () => {
  const s = setup({ worker: [returnedRow('r1')], other: [] })
  const items = await s.returned.refresh()
  assert.deepEqual(items.map((i) => i.instanceID), ['r1'])
  const [entry] = await s.returned.list()
  assert.equal(entry.comment, COMMENT)
  assert.equal(entry.commentAt, '2026-12-07T03:04:00+00:00')
  assert.equal(entry.commentBy, '李督导')
  assert.equal(entry.formId, 'reg')
  assert.equal(entry.formVersion, '3')
  assert.equal(entry.correction, null)
  assert.deepEqual(Object.keys(entry.files), ['1.jpg']) // not the one the server never received
  assert.equal(await entry.files['1.jpg'].text(), 'server-jpeg')
  assert.equal(await s.returned.count(), 1)
  assert.ok(await s.kv.get('returned:worker'))

  // Another worker on the same phone sees none of it; the first one's list stays for them.
  s.login('other')
  assert.deepEqual(await s.returned.list(), [])
  assert.equal(await s.returned.count(), 0)
  await s.returned.refresh()
  assert.deepEqual(await s.returned.list(), [])
  s.login('worker')
  assert.equal((await s.returned.list()).length, 1)

  // A second refresh fetches neither the thread nor the photos again.
  const before = s.api.calls.length
  await s.returned.refresh()
  assert.deepEqual(s.api.calls.slice(before), ['returned'])
})

test('offline, refresh fails and the cached list stays; with nobody logged in there is nothing', async () => {
  const s = setup({ worker: [returnedRow('r1')] })
  await s.returned.refresh()
  s.api.online = false
  await assert.rejects(() => s.returned.refresh())
  assert.equal((await s.returned.list()).length, 1)
  s.login('')
  assert.equal(await s.returned.refresh(), null)
  assert.deepEqual(await s.returned.list(), [])
})

test('a list answered after another user logged in is not kept for either', async () => {
  const s = setup({ worker: [returnedRow('r1')] })
  const slow = s.api.returned
  s.api.returned = async () => { const a = await slow(); s.login('other'); return a }
  assert.equal(await s.returned.refresh(), null)
  assert.equal(await s.kv.get('returned:worker'), undefined)
  assert.equal(await s.kv.get('returned:other'), undefined)
})

test('a refresh started for the next user is not swallowed by the one still running for the last', async () => {
  const s = setup({ worker: [returnedRow('r1')], other: [returnedRow('o1')] })
  const slow = s.api.returned
  let release
  const gate = new Promise((resolve) => { release = resolve })
  s.api.returned = async () => { if (s.api.user === 'worker') await gate; return slow() }
  const first = s.returned.refresh()
  assert.equal(s.returned.refresh(), first) // the same user shares the run
  s.login('other')
  const second = await s.returned.refresh()
  assert.deepEqual(second.map((i) => i.instanceID), ['o1'])
  release()
  assert.equal(await first, null)
  assert.deepEqual((await s.returned.list()).map((i) => i.instanceID), ['o1'])
})

test('opened on the phone that sent it: an edit of the sent copy, answers in full, its photo, the comment on top', async () => {
  const s = setup({ worker: [returnedRow('r1')] })
  await sentFromPhone(s.outbox, 'r1')
  await s.returned.refresh()
  assert.equal((await s.returned.list())[0].files['1.jpg'], undefined) // the phone has its own photo
  assert.ok(!s.api.calls.some((c) => c.startsWith('attachment')))
  const draft = await s.returned.open('uuid:r1', 'c1')
  assert.equal(draft.instanceID, 'c1')
  assert.equal(draft.deprecatedID, 'r1')
  assert.equal(draft.state, 'draft')
  assert.equal(draft.data.identity.id_number, '640102199001010218')
  assert.equal(draft.data.meta.instanceID, 'uuid:c1')
  assert.equal(await draft.files['1.jpg'].text(), 'phone-jpeg')
  assert.deepEqual(draft.review, { comment: COMMENT, commentAt: '2026-12-07T03:04:00+00:00', commentBy: '李督导' })
  // Opening it again continues the same draft.
  assert.equal((await s.returned.open('r1', 'c2')).instanceID, 'c1')
  assert.equal((await s.outbox.list()).filter((i) => i.deprecatedID === 'r1').length, 1)
})

test('opened without a sent copy: the server answers, masked values emptied, the server photos, deprecated_id sent', async () => {
  const s = setup({ worker: [returnedRow('r1', { data: { data: returnedRow('r1').data } })] })
  await s.returned.refresh()
  const draft = await s.returned.open('r1', 'c1', { root: 'data', title: '流动人口登记' })
  assert.equal(draft.deprecatedID, 'r1')
  assert.deepEqual([draft.formId, draft.formVersion, draft.title, draft.label], ['reg', '3', '流动人口登记', '登记-马建国'])
  assert.deepEqual(draft.data.identity, { full_name: '马建国', id_number: '', phone: '', photo: '1.jpg' })
  assert.equal(draft.data.meta.instanceID, 'uuid:c1')
  assert.equal(await draft.files['1.jpg'].text(), 'server-jpeg')
  assert.equal(draft.review.fromServer, true)
  assert.equal(draft.review.comment, COMMENT)

  // The worker fixes it and finishes: it goes out as an edit of the returned one, photo included.
  draft.data.identity.phone = '13800138000'
  await s.outbox.saveDraft({ instanceID: 'c1', formId: 'reg', formVersion: '3', data: draft.data, files: draft.files, meta: { start: 's' } })
  await s.outbox.enqueue('c1')
  let sentBody = null
  await s.outbox.flush(async (item) => { sentBody = submissionBody(item); return { status: 201, body: {} } })
  const payload = JSON.parse(sentBody.get('submission'))
  assert.equal(payload.deprecated_id, 'r1')
  assert.equal(payload.instance_id, 'c1')
  assert.equal(payload.data.identity.phone, '13800138000')
  assert.equal(await sentBody.get('1.jpg').text(), 'server-jpeg')
})

test('it stays under 需要修改 until the correction is sent, then leaves; and leaves when the server stops listing it', async () => {
  const byUser = { worker: [returnedRow('r1'), returnedRow('r2')] }
  const s = setup(byUser)
  await s.returned.refresh()
  assert.equal(await s.returned.count(), 2)
  await s.returned.open('r1', 'c1')
  let r1 = (await s.returned.list()).find((i) => i.instanceID === 'r1')
  assert.equal(r1.correction.state, 'draft')
  assert.equal(await s.returned.count(), 2) // a draft is not a correction yet

  await s.outbox.enqueue('c1')
  r1 = (await s.returned.list()).find((i) => i.instanceID === 'r1')
  assert.equal(r1.correction.state, 'queued') // offline: queued like any other, still shown
  assert.equal(await s.returned.count(), 1)

  await s.outbox.flush(async () => ({ status: 201, body: {} }))
  assert.deepEqual((await s.returned.list()).map((i) => i.instanceID), ['r2']) // sent: gone, even before a refresh
  await assert.rejects(() => s.returned.open('r1', 'c9'), /already corrected/)

  byUser.worker = [returnedRow('r1')] // the server: r1 still listed a moment, r2 no longer returned
  await s.returned.refresh()
  assert.deepEqual(await s.returned.list(), [])
  assert.equal(await s.returned.count(), 0)
  await assert.rejects(() => s.returned.open('r2', 'c8'), /not among the returned/)
})

test('the API asks for /me/returned, a thread, a detail and an attachment as a Blob', async () => {
  const calls = []
  const fetch = async (url, init) => {
    calls.push({ url, init })
    if (url.includes('/attachments/')) return new Response('jpegbytes', { status: 200, headers: { 'content-type': 'image/jpeg' } })
    return new Response(JSON.stringify({ items: [] }), { status: 200, headers: { 'content-type': 'application/json' } })
  }
  const api = createApi({ fetch, getToken: () => 't1' })
  assert.deepEqual(await api.returned(), { items: [] })
  await api.comments('uuid:a')
  await api.submission('uuid:a')
  const blob = await api.attachment('uuid:a', '1 2.jpg')
  assert.ok(blob instanceof Blob)
  assert.equal(await blob.text(), 'jpegbytes')
  assert.deepEqual(calls.map((c) => c.url), ['/api/v1/me/returned', '/api/v1/submissions/uuid%3Aa/comments',
    '/api/v1/submissions/uuid%3Aa', '/api/v1/submissions/uuid%3Aa/attachments/1%202.jpg'])
  assert.ok(calls.every((c) => c.init.headers.Authorization === 'Bearer t1'))
})
