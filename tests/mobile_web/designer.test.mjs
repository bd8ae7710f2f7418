// The form designer's part of the console: who sees 表单设计, and the calls its screens make.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { MENUS, CONSOLE_ROLES } from '../../mobile_web/console/app/components/App.js'
import { createConsoleApi } from '../../mobile_web/console/app/console_api.js'
import { PROBLEM, typeName } from '../../mobile_web/console/app/designer_strings.js'

const keys = (role) => (MENUS[role] || []).map(([k]) => k)

test('form designers see only 表单设计, admins see it beside the review screens, supervisors do not', () => {
  assert.ok(CONSOLE_ROLES.has('form_designer'))
  assert.deepEqual(keys('form_designer'), ['forms'])
  assert.ok(keys('admin').includes('forms') && keys('admin').includes('queue'))
  assert.ok(!keys('supervisor').includes('forms'))
  assert.ok(!CONSOLE_ROLES.has('grid_worker'))
})

test('an upload posts the workbook as multipart field "file"; a refusal keeps the located problems', async () => {
  const seen = []
  const problems = [{ sheet: 'survey', row: 4, column: 'type', code: 'form.unknown_type', message: "unknown question type 'intger'", value: 'intger' }]
  const fetch = async (url, init) => {
    seen.push({ url, method: init.method, body: init.body })
    return new Response(JSON.stringify({ error: 'form.invalid_workbook', message: '表单文件有 1 处错误，无法编译', errors: { workbook: problems } }),
      { status: 422, headers: { 'content-type': 'application/json' } })
  }
  const api = createConsoleApi({ getToken: () => 't', fetch })
  const file = new File([new Uint8Array([80, 75])], 'survey.xlsx')
  const refused = await api.uploadForm(file).catch((e) => e)
  assert.equal(seen[0].url, '/api/v1/forms')
  assert.equal(seen[0].method, 'POST')
  assert.ok(seen[0].body instanceof FormData)
  assert.equal(seen[0].body.get('file').name, 'survey.xlsx')
  assert.equal(refused.status, 422)
  assert.deepEqual(refused.errors.workbook, problems)
})

test('the versions, draft and publish calls', async () => {
  const seen = []
  const fetch = async (url, init) => {
    seen.push(`${init.method} ${url}`)
    return new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } })
  }
  const api = createConsoleApi({ getToken: () => 't', fetch })
  await api.formVersions('a b')
  await api.versionFresh('a b', '2')
  await api.versionFresh('a b', '2') // a draft's content may change under the same version: never cached
  await api.publish('a b')
  assert.deepEqual(seen, ['GET /api/v1/forms/a%20b/versions', 'GET /api/v1/forms/a%20b/versions/2',
    'GET /api/v1/forms/a%20b/versions/2', 'POST /api/v1/forms/a%20b/draft/publish'])
})

test('every problem code the form engine raises has words', () => {
  const engine = ['workbook_checks.py', 'workbook_structure.py', 'workbook_sheets.py', 'compiler.py']
    .map((f) => readFileSync(new URL(`../../server/forms/${f}`, import.meta.url), 'utf8')).join('\n')
  const codes = new Set([...engine.matchAll(/"(form\.[a-z_]+)"/g)].map((m) => m[1]))
  codes.delete('form.invalid_workbook') // the refusal's own code, not a problem's
  assert.ok(codes.size > 20)
  for (const code of codes) assert.ok(PROBLEM[code], code)
  assert.equal(typeName('select_one'), '单选')
  assert.equal(typeName('odd'), 'odd')
})
