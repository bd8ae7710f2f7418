// The designer's version diff: questions added, removed and changed between two compiled forms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { diffForms, flatten, settingText } from '../../mobile_web/console/app/form_diff.js'

const field = (name, extra = {}, parent = '/data') => ({
  name, path: `${parent}/${name}`, type: 'text', label: { zh: name }, hint: null, required: false,
  relevant: null, constraint: null, constraint_message: null, calculation: null, list_name: null, children: undefined, ...extra
})

const v1 = {
  fields: [field('name'), field('age', { type: 'integer', constraint: '. < 120' }),
    field('hh', { type: 'group', children: [field('sex', { type: 'select_one', list_name: 'sex' }, '/data/hh')] }),
    field('old', {})],
  choices: { sex: [{ name: '1', label: { zh: '男' } }, { name: '2', label: { zh: '女' } }] }
}
const v2 = {
  fields: [field('name', { label: { zh: '姓名' } }), field('age', { type: 'integer', constraint: '. < 130', required: true }),
    field('hh', { type: 'group', children: [field('sex', { type: 'select_one', list_name: 'sex' }, '/data/hh')] }),
    field('phone', {})],
  choices: { sex: [{ name: '1', label: { zh: '男' } }, { name: '2', label: { zh: '女' } }, { name: '9', label: { zh: '未说明' } }] }
}

test('flatten walks groups and keys fields by path', () => {
  assert.deepEqual([...flatten(v1).keys()], ['/data/name', '/data/age', '/data/hh', '/data/hh/sex', '/data/old'])
})

test('added, removed and changed questions, with what changed', () => {
  const d = diffForms(v1, v2)
  assert.deepEqual(d.added.map((f) => f.name), ['phone'])
  assert.deepEqual(d.removed.map((f) => f.name), ['old'])
  const changed = Object.fromEntries(d.changed.map((c) => [c.field.name, c.changes.map((x) => x.key)]))
  assert.deepEqual(changed, { name: ['label'], age: ['required', 'constraint'], sex: ['choices'] })
  const age = d.changed.find((c) => c.field.name === 'age').changes.find((x) => x.key === 'constraint')
  assert.equal(age.before, '. < 120')
  assert.equal(age.after, '. < 130')
})

test('identical versions differ in nothing; empty and missing settings count as the same', () => {
  const d = diffForms(v1, JSON.parse(JSON.stringify(v1)))
  assert.deepEqual(d, { added: [], removed: [], changed: [] })
  const a = { fields: [field('x', { hint: null })], choices: {} }
  const b = { fields: [field('x', { hint: undefined, relevant: '' })], choices: {} }
  assert.equal(diffForms(a, b).changed.length, 0)
})

test('settings as text: languages, booleans, choice lists', () => {
  assert.equal(settingText({ zh: '姓名', ug: 'ئىسىم' }, 'zh'), '姓名')
  assert.equal(settingText({ zh: '姓名', ug: 'ئىسىم' }), 'zh: 姓名 / ug: ئىسىم')
  assert.equal(settingText(true), '是')
  assert.equal(settingText(null), '—')
  assert.equal(settingText([{ name: '1', label: { zh: '男' } }], 'zh'), '1=男')
})
