// The API wrapper against a fake fetch: headers, JSON, ApiError and the multipart body.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ApiError, createApi } from '../../mobile_web/app/api.js'

function fakeFetch (status, body, type = 'application/json') {
  const calls = []
  const fn = async (url, init) => {
    calls.push({ url, init })
    return new Response(type.includes('json') ? JSON.stringify(body) : body, { status, headers: { 'content-type': type } })
  }
  fn.calls = calls
  return fn
}

test('login posts JSON without a token; later calls carry the bearer token', async () => {
  const f = fakeFetch(200, { access_token: 't1', token_type: 'Bearer', expires_at: '2026-12-01T00:00:00+08:00' })
  let token = null
  const api = createApi({ fetch: f, getToken: () => token })
  const out = await api.login('worker', 'pw')
  assert.equal(out.access_token, 't1')
  assert.equal(f.calls[0].url, '/api/v1/auth/token')
  assert.equal(f.calls[0].init.method, 'POST')
  assert.deepEqual(JSON.parse(f.calls[0].init.body), { username: 'worker', password: 'pw' })
  assert.equal(f.calls[0].init.headers.Authorization, undefined)
  assert.equal(f.calls[0].init.headers['Accept-Language'], 'zh-CN')
  token = 't1'
  await api.forms()
  assert.equal(f.calls[1].url, '/api/v1/forms')
  assert.equal(f.calls[1].init.headers.Authorization, 'Bearer t1')
})

test('error bodies become ApiError with status, stable code and field errors', async () => {
  const api = createApi({
    fetch: fakeFetch(422, { code: 422, status: 'Unprocessable Entity', message: '参数错误', errors: { json: { username: ['必填'] } }, error: 'validation' })
  })
  const e = await api.login('', '').catch((x) => x)
  assert.ok(e instanceof ApiError)
  assert.equal(e.status, 422)
  assert.equal(e.code, 'validation')
  assert.equal(e.message, '参数错误')
  assert.deepEqual(e.errors, { json: { username: ['必填'] } })
})

test('no network is an ApiError with status 0', async () => {
  const api = createApi({ fetch: async () => { throw new TypeError('Failed to fetch') } })
  const e = await api.forms().catch((x) => x)
  assert.ok(e instanceof ApiError)
  assert.equal(e.status, 0)
  assert.ok(e.offline)
})

test('submit sends multipart: a submission JSON part plus one part per photo', async () => {
  const f = fakeFetch(201, { instance_id: 'u1', status: 'received' })
  const api = createApi({ fetch: f, getToken: async () => 'tok' })
  const item = {
    instanceID: 'u1',
    formId: 'registration',
    formVersion: '2026112801',
    data: { name: '阿里', photo: '1732.jpg' },
    meta: { device_id: 'dev', start: 's', end: 'e', location: null },
    files: { '1732.jpg': new Blob(['jpeg-bytes'], { type: 'image/jpeg' }) }
  }
  const res = await api.submit(item)
  assert.equal(res.status, 201)
  const { url, init } = f.calls[0]
  assert.equal(url, '/api/v1/forms/registration/submissions')
  assert.equal(init.headers.Authorization, 'Bearer tok')
  assert.equal(init.headers['Content-Type'], undefined) // the browser sets the multipart boundary
  const fd = init.body
  assert.deepEqual(JSON.parse(fd.get('submission')), {
    instance_id: 'u1', form_version: '2026112801', data: item.data, meta: item.meta
  })
  const photo = fd.get('1732.jpg')
  assert.equal(photo.name, '1732.jpg')
  assert.equal(await photo.text(), 'jpeg-bytes')
})

test('submit resolves (does not throw) for HTTP errors so the outbox can classify them', async () => {
  const api = createApi({ fetch: fakeFetch(409, { message: '冲突', error: 'submission.payload_mismatch' }) })
  const res = await api.submit({ instanceID: 'x', formId: 'f', formVersion: '1', data: {} })
  assert.equal(res.status, 409)
  assert.equal(res.body.error, 'submission.payload_mismatch')
})

test('a 401 to a call made with a token is reported with that token: the server judges tokens', async () => {
  const f = fakeFetch(401, { code: 401, message: '请登录', error: 'auth.token_invalid' })
  const refused = []
  const api = createApi({ fetch: f, getToken: () => 't1', onUnauthorized: (t) => refused.push(t) })
  await assert.rejects(api.forms(), (e) => e.status === 401)
  assert.equal((await api.submit({ formId: 'reg', instanceID: 'a', data: {} }, 't0')).status, 401)
  assert.deepEqual(refused, ['t1', 't0'])
})

test('a login never carries the stored token, so a wrong password is not a refused token', async () => {
  const f = fakeFetch(401, { code: 401, message: '用户名或密码错误', error: 'auth.invalid_credentials' })
  const refused = []
  const api = createApi({ fetch: f, getToken: () => 't1', onUnauthorized: (t) => refused.push(t) })
  await assert.rejects(api.login('worker', 'wrong'))
  assert.equal(f.calls[0].init.headers.Authorization, undefined)
  assert.deepEqual(refused, [])
})

test('submit sends an item with the token it is given, not the session\'s', async () => {
  const f = fakeFetch(201, {})
  const api = createApi({ fetch: f, getToken: () => 'current-user' })
  await api.submit({ formId: 'reg', instanceID: 'a', data: {} }, 'owner-token')
  await api.submit({ formId: 'reg', instanceID: 'b', data: {} }, null)
  assert.equal(f.calls[0].init.headers.Authorization, 'Bearer owner-token')
  assert.equal(f.calls[1].init.headers.Authorization, undefined)
})
