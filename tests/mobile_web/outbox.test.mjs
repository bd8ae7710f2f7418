// The outbox without a browser: an in-memory store with the IndexedDB store's interface.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay, Outbox } from '../../mobile_web/app/outbox.js'
import { memStore } from '../../mobile_web/app/memstore.js'

function setup () {
  let clock = 1000
  const box = new Outbox(memStore('instanceID'), { owner: () => 'worker', now: () => clock, backoff: { base: 100, max: 1000, jitter: 0 } })
  const events = []
  for (const t of ['change', 'sent', 'needs-attention', 'auth-required', 'retry-later', 'drained']) {
    box.addEventListener(t, (e) => { if (t !== 'change') events.push([t, e.detail]) })
  }
  return { box, events, tick: (ms) => { clock += ms } }
}

async function queued (box, id, tick, extra = {}) {
  await box.saveDraft(Object.assign({ instanceID: id, formId: 'reg', formVersion: '1', data: { n: id } }, extra))
  await box.enqueue(id)
  tick(1)
}

const answer = (status, body = {}) => async () => ({ status, body })

test('drafts are not sent; queued items go oldest first and stay until 201/200', async () => {
  const { box, events, tick } = setup()
  await box.saveDraft({ instanceID: 'd', formId: 'reg', formVersion: '1', data: {} })
  await queued(box, 'b', tick)
  await queued(box, 'a', tick)
  const seen = []
  const summary = await box.flush(async (item) => {
    seen.push(item.instanceID)
    assert.equal((await box.get(item.instanceID)).state, 'sending')
    return { status: item.instanceID === 'b' ? 201 : 200, body: {} }
  })
  assert.deepEqual(seen, ['b', 'a'])
  assert.equal(summary.sent, 2)
  assert.equal((await box.get('d')).state, 'draft')
  assert.equal((await box.get('a')).state, 'sent')
  assert.deepEqual(events.map((e) => e[0]), ['sent', 'sent', 'drained'])
  assert.deepEqual(await box.pending(), [])
})

test('photos travel with the item and are kept once sent (an edit sends them again) until pruned', async () => {
  const { box, tick } = setup()
  const photo = new Blob(['jpeg'], { type: 'image/jpeg' })
  await queued(box, 'p', tick, { files: { '1.jpg': photo } })
  let got = null
  await box.flush(async (item) => { got = item.files['1.jpg']; return { status: 201, body: {} } })
  assert.equal(await got.text(), 'jpeg')
  assert.equal(await (await box.get('p')).files['1.jpg'].text(), 'jpeg')
  tick(8 * 86400000)
  await box.pruneSent()
  assert.equal(await box.get('p'), undefined)
})

test('offline: item stays queued with backoff, and flush stops at the first failure', async () => {
  const { box, events, tick } = setup()
  await queued(box, 'a', tick)
  await queued(box, 'b', tick)
  let calls = 0
  const offline = async () => { calls++; throw new TypeError('Failed to fetch') }
  const s = await box.flush(offline)
  assert.equal(calls, 1)
  assert.equal(s.stopped, 'offline')
  const a = await box.get('a')
  assert.equal(a.state, 'queued')
  assert.equal(a.attempts, 1)
  assert.equal(a.nextAttemptAt, a.updatedAt + 100)
  assert.equal(events[0][0], 'retry-later')
  // not due yet: skipped by a timer flush, sent by a forced one
  await box.flush(offline)
  assert.equal(calls, 2) // 'a' skipped, 'b' tried
  tick(150)
  await box.flush(offline)
  assert.equal((await box.get('a')).attempts, 2)
  const sent = await box.flush(answer(201), { force: true })
  assert.equal(sent.sent, 2)
})

test('5xx is retried later with the server message kept', async () => {
  const { box, tick } = setup()
  await queued(box, 'a', tick)
  await box.flush(answer(503, { code: 503, status: 'Service Unavailable', message: '服务器忙' }))
  const a = await box.get('a')
  assert.equal(a.state, 'queued')
  assert.equal(a.message, '服务器忙')
})

test('401 asks for login and keeps every item queued', async () => {
  const { box, events, tick } = setup()
  await queued(box, 'a', tick)
  await queued(box, 'b', tick)
  const s = await box.flush(answer(401, { message: '请登录' }))
  assert.equal(s.stopped, 'auth')
  assert.equal((await box.get('a')).state, 'queued')
  assert.equal((await box.get('b')).state, 'queued')
  assert.deepEqual(events.map((e) => e[0]), ['auth-required'])
})

test('409 and other 4xx need attention with the server message; the rest still go', async () => {
  const { box, events, tick } = setup()
  await queued(box, 'a', tick)
  await queued(box, 'b', tick)
  await box.flush(async (item) => item.instanceID === 'a'
    ? { status: 409, body: { code: 409, status: 'Conflict', message: '同一编号的提交内容不同', error: 'submission.payload_mismatch', errors: {} } }
    : { status: 201, body: {} })
  const a = await box.get('a')
  assert.equal(a.state, 'needs_attention')
  assert.equal(a.message, '同一编号的提交内容不同')
  assert.equal((await box.get('b')).state, 'sent')
  assert.deepEqual(events.map((e) => e[0]), ['needs-attention', 'sent', 'drained'])
  // fixed and re-queued, it is sent again
  await box.saveDraft({ instanceID: 'a', data: { n: 'fixed' } })
  await box.enqueue('a')
  await box.flush(answer(201))
  assert.equal((await box.get('a')).state, 'sent')
})

test('an item interrupted while sending is sent again; concurrent flushes share one run', async () => {
  const { box, tick } = setup()
  await queued(box, 'a', tick)
  const item = await box.get('a')
  item.state = 'sending'
  await box.store.put(item)
  let calls = 0
  const send = async () => { calls++; await new Promise((resolve) => setTimeout(resolve, 5)); return { status: 201, body: {} } }
  await Promise.all([box.flush(send), box.flush(send)])
  assert.equal(calls, 1)
  assert.equal((await box.get('a')).state, 'sent')
})

test('coming online during a failing run sends at once: the forced flush runs after it, past the backoff', async () => {
  const { box, tick } = setup()
  await queued(box, 'a', tick)
  let release
  const inFlight = new Promise((resolve) => { release = resolve })
  let calls = 0
  const send = async () => { // the first try began offline and fails; later ones find the server
    if (++calls === 1) { await inFlight; throw new Error('offline') }
    return { status: 201, body: {} }
  }
  const first = box.flush(send)
  const forced = box.flush(send, { force: true }) // the 'online' event, while the first try waits
  const again = box.flush(send, { force: true })
  release()
  assert.equal((await first).stopped, 'offline')
  const summary = await forced
  assert.equal(summary.sent, 1)
  assert.equal(await again, summary) // forced calls made during one run share the rerun
  assert.equal((await box.get('a')).state, 'sent')
})

test('queued items cannot be discarded or overwritten as drafts', async () => {
  const { box, tick } = setup()
  await queued(box, 'a', tick)
  await assert.rejects(box.discard('a'))
  await assert.rejects(box.saveDraft({ instanceID: 'a', data: {} }))
  await box.saveDraft({ instanceID: 'd', data: {} })
  await box.discard('d')
  assert.equal(await box.get('d'), undefined)
})

test('backoff doubles up to the cap', () => {
  const o = { base: 1000, max: 8000, jitter: 0 }
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, o)), [1000, 2000, 4000, 8000, 8000])
  const j = backoffDelay(1, { base: 1000, jitter: 0.5, random: () => 0 })
  assert.equal(j, 500)
})

/** One phone, one outbox, two workers taking turns (user() is who is logged in). */
function sharedPhone () {
  let clock = 1000
  let user = 'worker'
  const box = new Outbox(memStore('instanceID'), { owner: () => user, now: () => clock })
  return { box, as: (u) => { user = u }, tick: (ms) => { clock += ms } }
}

test('shared phone: the next user sees none of the previous user\'s items and never sends them; their owner does', async () => {
  const { box, as, tick } = sharedPhone()
  await queued(box, 'a1', tick)
  await queued(box, 'a2', tick)
  await box.saveDraft({ instanceID: 'a-draft', formId: 'reg', formVersion: '1', data: { n: 'half done' } })
  as(null) // logged out
  assert.deepEqual(await box.list(), [])
  assert.deepEqual(await box.pending(), [])
  as('worker2')
  assert.deepEqual(await box.list(), [])
  assert.equal(await box.get('a-draft'), undefined)
  await queued(box, 'b1', tick)
  const sentBy = []
  const s = await box.flush(async (item) => { sentBy.push([item.instanceID, item.owner]); return { status: 201, body: {} } })
  assert.deepEqual(sentBy, [['b1', 'worker2']])
  assert.equal(s.sent, 1)
  assert.deepEqual((await box.list()).map((i) => i.instanceID), ['b1'])
  // worker2 cannot touch worker's items either
  await assert.rejects(box.saveDraft({ instanceID: 'a-draft', data: {} }))
  await assert.rejects(box.discard('a-draft'))
  await assert.rejects(box.enqueue('a-draft'))
  as('worker')
  assert.deepEqual((await box.list()).map((i) => [i.instanceID, i.state]), [['a1', 'queued'], ['a2', 'queued'], ['a-draft', 'draft']])
  await box.flush(async (item) => { sentBy.push([item.instanceID, item.owner]); return { status: 201, body: {} } })
  assert.deepEqual(sentBy.slice(1), [['a1', 'worker'], ['a2', 'worker']])
})

test('nobody logged in: nothing is listed, sent or saved', async () => {
  const { box, as, tick } = sharedPhone()
  await queued(box, 'a1', tick)
  as('')
  let calls = 0
  await box.flush(async () => { calls++; return { status: 201, body: {} } })
  assert.equal(calls, 0)
  await assert.rejects(box.saveDraft({ instanceID: 'x', formId: 'reg', data: {} }))
})

test('a run stops when the user changes; the new user\'s flush runs after it with their own items', async () => {
  const { box, as, tick } = sharedPhone()
  await queued(box, 'a1', tick)
  await queued(box, 'a2', tick)
  as('worker2')
  await queued(box, 'b1', tick)
  as('worker')
  const sentBy = []
  let second = null
  const send = async (item) => {
    sentBy.push(item.instanceID)
    if (item.instanceID === 'a1') { // worker logs out and worker2 logs in (which flushes) while a1 is on its way
      as('worker2')
      second = box.flush(send)
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
    return { status: 201, body: {} }
  }
  const first = box.flush(send)
  assert.equal((await first).stopped, 'user')
  assert.equal((await second).sent, 1)
  assert.deepEqual(sentBy, ['a1', 'b1'])
  as('worker')
  assert.deepEqual((await box.pending()).map((i) => i.instanceID), ['a2'])
})

test('items stored before owners were recorded are adopted by one user, once', async () => {
  const { box, as } = sharedPhone()
  await box.store.put({ instanceID: 'old', state: 'queued', formId: 'reg', data: {}, createdAt: 1 }) // as the client stored it before
  assert.deepEqual(await box.list(), [])
  assert.equal(await box.adopt('worker'), 1)
  assert.equal(await box.adopt('worker2'), 0)
  assert.deepEqual((await box.pending()).map((i) => [i.instanceID, i.owner]), [['old', 'worker']])
  as('worker2')
  assert.deepEqual(await box.pending(), [])
})

test('an edit of a sent item belongs to the same user', async () => {
  const { box, as, tick } = sharedPhone()
  await queued(box, 'a1', tick)
  await box.flush(answer(201))
  const edit = await box.startEdit('a1', 'a1-edit')
  assert.equal(edit.owner, 'worker')
  as('worker2')
  await assert.rejects(box.startEdit('a1', 'x'))
})
