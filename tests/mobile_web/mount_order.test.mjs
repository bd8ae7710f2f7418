// Progressive mounting of a long page (FormScreen.js, GroupView.js): mountOrder numbers the
// questions a page shows, in document order, skipping exactly what Fields skips, so mounting
// the fields numbered below n puts the first n questions in the DOM. Checks never depend on
// it: the model validates a page's questions whether or not they are mounted yet.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FormModel } from '../../mobile_web/app/forms/model.js'
import { mountOrder } from '../../mobile_web/app/components/GroupView.js'

const f = (name, type, extra = {}) => Object.assign({
  name, path: null, type, label: { zh: name }, hint: null, required: false, relevant: null,
  constraint: null, constraint_message: null, calculation: null, default: null, read_only: false,
  appearance: null, parameters: {}, list_name: null, choice_filter: null, repeat_count: null
}, extra)

const DEF = {
  form_id: 'long',
  version: '1',
  title: { zh: '长页' },
  default_language: 'zh',
  languages: ['zh'],
  root: 'data',
  fields: [
    f('a', 'text'),
    f('skip', 'text', { relevant: "${a} = 'x'" }),
    f('calc', 'calculate', { calculation: "'1'" }),
    f('g', 'group', { children: [f('b', 'integer'), f('note', 'note')] }),
    f('n', 'integer', { default: '2' }),
    f('kids', 'repeat', { repeat_count: '${n}', children: [f('kid', 'text', { required: true })] }),
    f('last', 'text', { required: true, constraint: "string-length(.) < 3" })
  ],
  choices: {},
  refs: { a: '/data/a', skip: '/data/skip', calc: '/data/calc', g: '/data/g', b: '/data/g/b', note: '/data/g/note',
    n: '/data/n', kids: '/data/kids', kid: '/data/kids/kid', last: '/data/last' },
  repeats: ['/data/kids']
}

// The order is computed over any list of fields; here the whole form, to nest a group and a
// repeat (pages() would make each of them a page of its own).
const model = () => new FormModel(DEF, { instanceID: 'abc', now: () => Date.parse('2026-11-28T10:30:00+08:00') })

test('questions are numbered in document order; groups and repeat entries start at their first question', () => {
  const m = model()
  const { before, total } = mountOrder(m, m.def.fields, '/data')
  assert.deepEqual(Object.fromEntries(before), {
    '/data/a': 0,
    '/data/g': 1,
    '/data/g/b': 1,
    '/data/g/note': 2,
    '/data/n': 3,
    '/data/kids': 4,
    '/data/kids[1]': 4,
    '/data/kids[1]/kid': 4,
    '/data/kids[2]': 5,
    '/data/kids[2]/kid': 5,
    '/data/last': 6
  })
  assert.equal(total, 7)
})

test('a question that becomes relevant takes its place in the order', () => {
  const m = model()
  m.set('/data/a', 'x')
  const { before, total } = mountOrder(m, m.def.fields, '/data')
  assert.equal(before.get('/data/skip'), 1)
  assert.equal(before.get('/data/last'), 7)
  assert.equal(total, 8)
})

test('checking a page covers the questions not mounted yet', () => {
  const m = model()
  const page = m.def.fields // as one long page
  const { before } = mountOrder(m, page, '/data')
  assert.ok(before.get('/data/last') >= 6) // beyond a first screen of, say, three questions
  m.set('/data/last', 'too long')
  const errors = m.validate(page)
  assert.deepEqual(Object.keys(errors).sort(), ['/data/kids[1]/kid', '/data/kids[2]/kid', '/data/last'])
  assert.equal(errors['/data/last'].key, 'invalid')
})
