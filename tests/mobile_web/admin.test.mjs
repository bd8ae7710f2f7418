// The administrator's part of the console: who sees its sections, and the calls its screens make.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MENUS } from '../../mobile_web/console/app/components/App.js'
import { createConsoleApi } from '../../mobile_web/console/app/console_api.js'

const keys = (role) => (MENUS[role] || []).map(([k]) => k)

test('only admins see 用户管理, 行政区划 and 审计日志', () => {
  for (const key of ['users', 'units', 'audit']) {
    assert.ok(keys('admin').includes(key), key)
    assert.ok(!keys('supervisor').includes(key) && !keys('form_designer').includes(key), key)
  }
})

test('the admin calls: filters in the query, bodies as JSON, names encoded', async () => {
  const seen = []
  const fetch = async (url, init) => {
    seen.push({ url, method: init.method, body: init.body ? JSON.parse(init.body) : undefined })
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
  }
  const api = createConsoleApi({ getToken: () => 't', fetch })
  await api.users({ q: '马', role: 'grid_worker', is_active: '' })
  await api.updateUser('a/b', { is_active: false })
  await api.resetPassword('w', null)
  await api.issueToken('police', '公安系统')
  await api.unitTree(true)
  await api.audit({ actor: 'police', full_reads: 'true', cursor: undefined })
  assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), [
    'GET /api/v1/users?q=%E9%A9%AC&role=grid_worker',
    'PATCH /api/v1/users/a%2Fb',
    'POST /api/v1/users/w/password',
    'POST /api/v1/users/police/tokens',
    'GET /api/v1/geo/units?boundaries=true',
    'GET /api/v1/audit?actor=police&full_reads=true'])
  assert.deepEqual(seen[1].body, { is_active: false })
  assert.deepEqual(seen[2].body, {})
  assert.deepEqual(seen[3].body, { label: '公安系统' })
})
