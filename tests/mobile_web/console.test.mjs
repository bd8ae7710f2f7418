// The supervisors' console as shipped: every module loads, nothing comes from a CDN, the import
// map reaches the phone client's modules, its JS+CSS (with the shared modules it loads, without
// the map and chart libraries) stay within 150 KB gzipped, the chart library is imported only
// when a chart mounts, and answers are laid out as the form.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { allFiles, ROOT } from './shell_version.mjs'
import { describeChanges, diffData, layout } from '../../mobile_web/console/app/answers.js'

const BUDGET = 150 * 1024
const MAP_LIBRARY = /^(vendor\/leaflet\/|console\/vendor\/echarts\/)/ // the map and chart libraries
const consoleFiles = () => allFiles().filter((f) => f.startsWith('console/'))

/** Every file the console loads from its entry point, following static and dynamic imports. */
function loaded (entry = 'console/app/main.js') {
  const seen = new Set()
  const walk = (file) => {
    if (seen.has(file) || MAP_LIBRARY.test(file)) return
    seen.add(file)
    const text = readFileSync(join(ROOT, file), 'utf8')
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) {
      walk(relative(ROOT, normalize(join(ROOT, dirname(file), m[1]))).split('\\').join('/'))
    }
  }
  walk(entry)
  return [...seen, 'console/styles.css'].sort()
}

test('the console JS+CSS it loads (without the map and chart libraries) stay within 150 KB gzipped', () => {
  const files = loaded()
  assert.ok(files.includes('app/api.js') && files.includes('app/i18n.js') && files.includes('app/forms/model.js'),
    'the console shares the phone client modules')
  assert.ok(!files.some((f) => MAP_LIBRARY.test(f)))
  let total = 0
  for (const f of files) total += gzipSync(readFileSync(join(ROOT, f)), { level: 9 }).length
  const own = consoleFiles().filter((f) => /\.(js|css)$/.test(f) && !MAP_LIBRARY.test(f))
    .reduce((n, f) => n + gzipSync(readFileSync(join(ROOT, f)), { level: 9 }).length, 0)
  console.log(`console JS+CSS gzipped: ${(total / 1024).toFixed(1)} KB in ${files.length} files ` +
    `(its own ${(own / 1024).toFixed(1)} KB, the rest shared with /m/; Leaflet loads only with a map, ECharts with a chart)`)
  assert.ok(total <= BUDGET, `${total} bytes gzipped > ${BUDGET}`)
})

test('ECharts is vendored with its licence and imported by the chart module only, and only dynamically', () => {
  for (const f of ['echarts.esm.min.js', 'LICENSE', 'NOTICE']) assert.ok(existsSync(join(ROOT, 'console/vendor/echarts', f)), f)
  const importers = consoleFiles().filter((f) => f.endsWith('.js') && !MAP_LIBRARY.test(f) &&
    readFileSync(join(ROOT, f), 'utf8').includes('echarts.esm.min.js'))
  assert.deepEqual(importers, ['console/app/components/Chart.js'])
  const chart = readFileSync(join(ROOT, 'console/app/components/Chart.js'), 'utf8')
  assert.match(chart, /import\('\.\.\/\.\.\/vendor\/echarts\/echarts\.esm\.min\.js'\)/)
  assert.doesNotMatch(chart, /from '[^']*echarts/)
})

test('every console module loads and its relative imports resolve', async () => {
  for (const f of consoleFiles().filter((x) => x.endsWith('.js') && x !== 'console/app/main.js')) {
    await import(pathToFileURL(join(ROOT, f)).href)
  }
  for (const f of loaded()) assert.ok(existsSync(join(ROOT, f)), f)
})

test('no CDN in the console either', () => {
  for (const f of consoleFiles().filter((x) => /\.(js|html|css)$/.test(x))) {
    const text = readFileSync(join(ROOT, f), 'utf8')
    assert.doesNotMatch(text, /(from|import\(|src=|href=|url\()\s*['"]?(https?:)?\/\//, f)
  }
})

test('index.html: zh-CN, and the import map sends shared modules to /m/', () => {
  const html = readFileSync(join(ROOT, 'console/index.html'), 'utf8')
  assert.match(html, /<html lang="zh-CN">/)
  const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1])
  assert.deepEqual(map.imports, { '/app/': '/m/app/', '/vendor/': '/m/vendor/' })
  assert.match(html, /<script type="module" src="app\/main\.js">/)
})

const DEF = {
  root: 'data',
  default_language: 'zh',
  languages: ['zh', 'en'],
  choices: { sex: [{ name: '1', label: { zh: '男', en: 'Male' } }, { name: '2', label: { zh: '女', en: 'Female' } }],
    needs: [{ name: 'job', label: { zh: '就业' } }, { name: 'school', label: { zh: '入学' } }] },
  fields: [
    { name: 'who', type: 'group', label: { zh: '基本信息', en: 'Who' }, children: [
      { name: 'name', type: 'text', label: { zh: '姓名', en: 'Name' } },
      { name: 'sex', type: 'select_one', list_name: 'sex', label: { zh: '性别', en: 'Sex' } },
      { name: 'photo', type: 'image', label: { zh: '照片' } },
      { name: 'calc', type: 'calculate', label: null }] },
    { name: 'kids', type: 'repeat', label: { zh: '子女' }, children: [
      { name: 'kid_name', type: 'text', label: { zh: '子女姓名' } }] },
    { name: 'needs', type: 'select_multiple', list_name: 'needs', label: { zh: '需求' } },
    { name: 'where', type: 'geopoint', label: { zh: '位置' } },
    { name: 'meta', type: 'group', label: null, children: [{ name: 'instanceID', type: 'calculate', label: null }] }
  ]
}
const DATA = { who: { name: '马丽', sex: '2', photo: 'p.jpg', calc: 'x' }, kids: [{ kid_name: '小明' }, { kid_name: '小红' }],
  needs: 'job school', where: '34.4 113.74 0 8', meta: { instanceID: 'uuid:1' } }

test('answers are laid out as the form: groups, repeat entries, labels in the language, choice labels', () => {
  const { tree, unplaced } = layout(DEF, DATA, 'zh', [
    { path: '/data/who/sex', code: 'constraint', message: '性别与身份证号码不符' },
    { path: '/data/kids[2]/kid_name', code: 'required', message: '必填' },
    { path: '/data/elsewhere', code: 'x', message: '表单级问题' }])
  assert.deepEqual(tree.map((n) => [n.kind, n.label]), [['group', '基本信息'], ['repeat', '子女'], ['answer', '需求'], ['answer', '位置']])
  const who = tree[0].children
  assert.deepEqual(who.map((a) => [a.label, a.text]), [['姓名', '马丽'], ['性别', '女'], ['照片', 'p.jpg']])
  assert.equal(who[2].media, 'p.jpg')
  assert.deepEqual(who[1].issues.map((i) => i.message), ['性别与身份证号码不符'])
  assert.deepEqual(tree[1].entries.map((e) => e.children[0].text), ['小明', '小红'])
  assert.deepEqual(tree[1].entries[1].children[0].issues.map((i) => i.message), ['必填'])
  assert.equal(tree[2].text, '就业、入学')
  assert.equal(tree[3].text, '34.400000, 113.740000（±8 米）')
  assert.deepEqual(unplaced.map((i) => i.message), ['表单级问题'])
  assert.equal(layout(DEF, DATA, 'en').tree[0].children[1].text, 'Female')
})

test("an edit's changes: labelled, choice labels, the form's meta left out", () => {
  const after = JSON.parse(JSON.stringify(DATA))
  after.who.sex = '1'
  after.kids[1].kid_name = '小军'
  after.meta.instanceID = 'uuid:2'
  const changes = diffData(DATA, after)
  assert.deepEqual(changes.map((c) => c.path), ['/who/sex', '/kids[2]/kid_name'])
  const server = [...changes.map((c) => ({ ...c, path: '/data' + c.path })), { path: '/data/meta/instanceID', before: 'uuid:1', after: 'uuid:2' }]
  assert.deepEqual(describeChanges(DEF, server, 'zh').map((r) => [r.label, r.before, r.after]),
    [['基本信息 › 性别', '女', '男'], ['子女 第 2 组 › 子女姓名', '小红', '小军']])
})

test('registry helpers: differing properties, unmerge once per merge, the latest version of an edit chain', async () => {
  const { pairRows } = await import('../../mobile_web/console/app/components/DuplicatesPage.js')
  const { canUnmerge, timeline } = await import('../../mobile_web/console/app/components/PersonPage.js')
  const { latestVersion } = await import('../../mobile_web/console/app/components/SubmissionPage.js')
  const ds = [{ name: 'persons', properties: [{ name: 'full_name', type: 'text' }, { name: 'sex', type: 'select', list: 'sex' }, { name: 'phone', type: 'phone' }] }]
  const rows = pairRows(ds, 'persons', { full_name: '马小红', sex: '2', phone: '138****5678' },
    { full_name: '马晓红', sex: '2', phone: null }, { sex: { 2: '女' } })
  assert.deepEqual(rows.map((r) => [r.name, r.a, r.b, r.differs]),
    [['full_name', '马小红', '马晓红', true], ['sex', '女', '女', false], ['phone', '138****5678', '—', true]])
  const record = { status: 'active', versions: [{ version: 2, changed: ['phone'] }], events: [
    { cursor: 1, kind: 'created', version: 1 },
    { cursor: 5, kind: 'merged', version: 2, detail: { candidate: 7 } }] }
  const tl = timeline(record)
  assert.deepEqual(tl[1].v.changed, ['phone'])
  assert.equal(canUnmerge(tl, tl[1], record), true)
  assert.equal(canUnmerge(tl, tl[1], { ...record, status: 'merged' }), false) // from the survivor's page only
  const undone = timeline({ ...record, events: [...record.events, { cursor: 9, kind: 'unmerged', detail: { candidate: 7 } }] })
  assert.equal(canUnmerge(undone, undone[1], record), false)
  assert.equal(latestVersion([{ instance_id: 'a', deprecated_id: null }, { instance_id: 'b', deprecated_id: 'a' }]), 'b')
  assert.equal(latestVersion([{ instance_id: 'a', deprecated_id: null }]), 'a')
})

test("the console's session: its own key, a refused token keeps the user name for the login screen", async () => {
  const { ConsoleSession } = await import('../../mobile_web/console/app/session.js')
  const store = new Map()
  const storage = { getItem: (k) => (store.has(k) ? store.get(k) : null), setItem: (k, v) => store.set(k, v) }
  const s = new ConsoleSession(storage)
  assert.equal(s.token(), null)
  await s.save('supervisor', { access_token: 't1', expires_at: '2026-12-08T00:00:00Z' })
  assert.deepEqual([...store.keys()], ['gridreg.console.auth']) // never the phone client's gridreg.auth
  assert.equal(new ConsoleSession(storage).token(), 't1')
  await s.expire()
  assert.equal(s.token(), null)
  assert.ok(s.expired && s.username === 'supervisor')
  await s.clear()
  assert.equal(new ConsoleSession(storage).username, '')
})

test('a 401 from any call but the login is reported once', async () => {
  const { createConsoleApi } = await import('../../mobile_web/console/app/console_api.js')
  const heard = []
  const fetch = async (url) => new Response(JSON.stringify({ error: 'auth.invalid_token' }),
    { status: 401, headers: { 'content-type': 'application/json' } })
  const api = createConsoleApi({ getToken: () => 'old', fetch, onUnauthorized: () => heard.push('401') })
  await assert.rejects(api.queue({}), (e) => e.status === 401)
  await assert.rejects(api.login('supervisor', 'wrong'), (e) => e.status === 401)
  assert.deepEqual(heard, ['401'])
})

test('reads hand back their ETag and decisions send it as If-Match', async () => {
  const { createConsoleApi } = await import('../../mobile_web/console/app/console_api.js')
  const calls = []
  const fetch = async (url, init) => {
    calls.push({ url, method: init.method, ifMatch: init.headers['If-Match'] })
    return new Response(JSON.stringify({ instance_id: 'uuid:1', review_state: 'received' }),
      { status: 200, headers: { 'content-type': 'application/json', ETag: '"review-1.0"' } })
  }
  const api = createConsoleApi({ getToken: () => 't', fetch })
  const read = await api.submission('uuid:1')
  assert.equal(read.etag, '"review-1.0"')
  assert.equal(read.body.review_state, 'received')
  await api.review('uuid:1', read.etag, 'approved')
  assert.deepEqual(calls.map((c) => [c.method, c.url, c.ifMatch]), [
    ['GET', '/api/v1/submissions/uuid%3A1', undefined], ['PATCH', '/api/v1/submissions/uuid%3A1', '"review-1.0"']])
})
