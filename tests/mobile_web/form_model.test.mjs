// The DOM-free form model: calculations, relevance, required, constraints, cascades,
// repeats and the data it submits, on a small form shaped like the compiled JSON contract.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FormModel, simpleTerms } from '../../mobile_web/app/forms/model.js'
import { formatValue, fromInput } from '../../mobile_web/app/forms/values.js'

const f = (name, type, extra = {}) => Object.assign({
  name, path: null, type, label: { zh: name, en: name }, hint: null, required: false, relevant: null,
  constraint: null, constraint_message: null, calculation: null, default: null, read_only: false,
  appearance: null, parameters: {}, list_name: null, choice_filter: null, repeat_count: null
}, extra)

const DEF = {
  form_id: 'demo',
  version: '1',
  title: { zh: '演示' },
  default_language: 'zh',
  languages: ['zh', 'en'],
  root: 'data',
  fields: [
    f('start', 'start'),
    f('person', 'group', {
      children: [
        f('name', 'text', { required: true, constraint: 'string-length(.) <= 4', constraint_message: { zh: '太长' } }),
        f('age', 'integer', { required: true }),
        f('adult', 'calculate', { calculation: "if(${age} >= 18, 'yes', 'no')" }),
        f('job', 'text', { relevant: "${adult} = 'yes'", required: true }),
        f('province', 'select_one', { list_name: 'province' }),
        f('city', 'select_one', { list_name: 'city', choice_filter: 'province=${province}' })
      ]
    }),
    f('n', 'integer', { default: '2' }),
    f('kids', 'repeat', {
      repeat_count: '${n}',
      children: [f('kid', 'text', { required: true }), f('kid_no', 'calculate', { calculation: 'position(..)' })]
    }),
    f('total', 'calculate', { calculation: 'count(${kid})' }),
    f('meta', 'group', { children: [f('instanceID', 'calculate', { read_only: true })] })
  ],
  choices: {
    province: [{ name: '41', label: { zh: '河南' } }, { name: '65', label: { zh: '新疆' } }],
    city: [{ name: '4101', label: { zh: '郑州' }, province: '41' }, { name: '6501', label: { zh: '乌鲁木齐' }, province: '65' }]
  },
  refs: {
    start: '/data/start', person: '/data/person', name: '/data/person/name', age: '/data/person/age', adult: '/data/person/adult',
    job: '/data/person/job', province: '/data/person/province', city: '/data/person/city', n: '/data/n', kids: '/data/kids',
    kid: '/data/kids/kid', kid_no: '/data/kids/kid_no', total: '/data/total', meta: '/data/meta', instanceID: '/data/meta/instanceID'
  },
  repeats: ['/data/kids']
}

const NOW = Date.parse('2026-11-28T10:30:00+08:00')
const model = () => new FormModel(DEF, { instanceID: 'abc', now: () => NOW })

test('initial data: defaults, meta, repeat_count entries and calculations', () => {
  const m = model()
  assert.equal(m.data.start, '2026-11-28T10:30:00.000+08:00')
  assert.equal(m.data.meta.instanceID, 'uuid:abc')
  assert.equal(m.data.n, '2')
  assert.equal(m.data.kids.length, 2)
  assert.equal(m.data.kids[1].kid_no, '2')
  assert.equal(m.data.total, '2')
  assert.equal(m.data.person.adult, 'no')
})

test('calculations and relevance follow answers', () => {
  const m = model()
  assert.equal(m.state['/data/person/job'].relevant, false)
  m.set('/data/person/age', '30')
  assert.equal(m.data.person.adult, 'yes')
  assert.equal(m.state['/data/person/job'].relevant, true)
  assert.equal(m.state['/data/person/job'].required, true)
  assert.equal(m.state['/data/person/adult'].readOnly, true)
})

test('required, type and constraint errors with the form message', () => {
  const m = model()
  m.set('/data/person/name', '太长的名字啊')
  m.set('/data/person/age', '1.5')
  const errors = m.validate(DEF.fields.filter((x) => x.name === 'person'))
  assert.deepEqual(errors['/data/person/name'], { key: 'invalid', text: { zh: '太长' } })
  assert.deepEqual(errors['/data/person/age'], { key: 'badInteger' })
  assert.equal(errors['/data/person/job'], undefined) // not relevant
  m.set('/data/person/name', '阿里')
  m.set('/data/person/age', '40')
  const again = m.validate(DEF.fields.filter((x) => x.name === 'person'))
  assert.deepEqual(Object.keys(again), ['/data/person/job'])
  assert.equal(again['/data/person/job'].key, 'required')
})

test('choice_filter cascades and clears an answer no longer offered', () => {
  const m = model()
  m.set('/data/person/province', '41')
  const field = DEF.fields[1].children[5]
  assert.deepEqual(m.choices(field, '/data/person/city').map((c) => c.name), ['4101'])
  m.set('/data/person/city', '4101')
  m.set('/data/person/province', '65')
  assert.equal(m.data.person.city, '')
  assert.deepEqual(simpleTerms("a = ${b} and c='x'"), [['a', 'b', null], ['c', null, 'x']])
  assert.equal(simpleTerms('a > 1'), null)
})

test('repeat_count resizes; finalData empties non-relevant answers and stamps end', () => {
  const m = model()
  m.set('/data/n', '3')
  assert.equal(m.data.kids.length, 3)
  m.set('/data/kids[3]/kid', 'c')
  m.set('/data/n', '1')
  assert.equal(m.data.kids.length, 1)
  m.set('/data/person/age', '30')
  m.set('/data/person/job', 'driver')
  m.set('/data/person/age', '10')
  const out = m.finalData()
  assert.equal(out.person.job, '')
  assert.equal(m.data.person.job, 'driver') // kept while filling, in case the age is corrected
})

test('time and dateTime answers carry the city offset', () => {
  assert.equal(formatValue('time', NOW, 'Asia/Shanghai'), '10:30:00.000+08:00')
  assert.equal(fromInput('dateTime', '2026-11-28T09:05', 'Asia/Shanghai'), '2026-11-28T09:05:00.000+08:00')
  assert.match(fromInput('time', '07:45', 'Asia/Shanghai'), /^07:45:00\.000\+08:00$/)
})

test('dynamic defaults and select_one_from_file lists with instance() lookups', () => {
  const def = Object.assign({}, DEF, {
    fields: [
      f('person', 'select_one_from_file', { list_name: 'persons.csv' }),
      f('person_name', 'calculate', { calculation: "instance('persons')/root/item[name=${person}]/label" }),
      f('visit_date', 'date', { default: 'today()' }),
      f('visits', 'repeat', { children: [f('when', 'date', { default: '${visit_date}' })] })
    ],
    refs: { person: '/data/person', person_name: '/data/person_name', visit_date: '/data/visit_date', visits: '/data/visits', when: '/data/visits/when' },
    repeats: ['/data/visits']
  })
  const m = new FormModel(def, { now: () => NOW, external: { 'persons.csv': [{ name: 'u1', label: '阿里', __version: '2' }] } })
  assert.equal(m.data.visit_date, '2026-11-28')
  assert.deepEqual(m.data.visits, [])
  m.set('/data/person', 'u1')
  assert.equal(m.data.person_name, '阿里')
  assert.deepEqual(m.choices(def.fields[0], '/data/person').map((c) => c.label), ['阿里'])
  m.set('/data/visit_date', '2026-11-20')
  m.addRepeat(def.fields[3], '/data/visits')
  assert.equal(m.data.visits[0].when, '2026-11-20')
})

test('cn_resident_id answers are checked like the server does; trigger calculations wait for a change', async () => {
  const { residentIdProblem } = await import('../../mobile_web/app/forms/resident_id.js')
  assert.equal(residentIdProblem('11010519491231002X'), null)
  assert.equal(residentIdProblem('110105194912310021'), 'check_char')
  assert.equal(residentIdProblem('110105194902300021'), 'birth_date')
  assert.equal(residentIdProblem('1101051949'), 'length')
  assert.equal(residentIdProblem('110105491231002'), null)
  const def = Object.assign({}, DEF, {
    fields: [f('rid', 'text', { datatype: 'cn_resident_id' }), f('seen', 'calculate', { calculation: "concat('at-', ${rid})", trigger: ['rid'] })],
    refs: { rid: '/data/rid', seen: '/data/seen' },
    repeats: []
  })
  const m = new FormModel(def, { now: () => NOW })
  assert.equal(m.data.seen, '')
  m.set('/data/rid', '110105194912310021')
  assert.equal(m.data.seen, 'at-110105194912310021')
  assert.deepEqual(m.validate(def.fields), { '/data/rid': { key: 'residentId_check_char' } })
})

test('date constraints hold at every hour of a Shanghai morning (injected clock)', () => {
  const def = {
    ...DEF,
    fields: [
      f('d', 'date', { constraint: '. <= now()', constraint_message: { zh: '不能晚于今天' } }),
      f('seen', 'dateTime', { constraint: '. >= today()', constraint_message: { zh: '不能早于今天' } })
    ],
    choices: {},
    refs: { d: '/data/d', seen: '/data/seen' },
    repeats: []
  }
  for (const hhmm of ['00:30', '07:59', '08:01']) {
    const m = new FormModel(def, { instanceID: 'abc', now: () => Date.parse(`2026-11-28T${hhmm}:00+08:00`) })
    m.set('/data/d', '2026-11-28')
    m.set('/data/seen', '2026-11-28T00:10:00.000+08:00')
    assert.deepEqual(m.validate(def.fields), {}, hhmm)
    m.set('/data/d', '2026-11-29')
    assert.deepEqual(Object.keys(m.validate(def.fields)), ['/data/d'], hhmm)
  }
})

test('select_one ${question} offers the answers of a repeat; names may repeat in groups; last-saved reads empty', () => {
  const def = {
    form_id: 'compat',
    version: '1',
    title: { zh: '兼容' },
    default_language: 'zh',
    languages: ['zh'],
    root: 'data',
    fields: [
      f('members', 'repeat', {
        path: '/data/members',
        children: [f('who', 'text', { path: '/data/members/who' }), f('age', 'integer', { path: '/data/members/age' }),
          f('sex', 'select_one', { path: '/data/members/sex', list_name: 'sexes' })]
      }),
      f('head', 'select_one', { path: '/data/head', choices_from: '/data/members/who' }),
      f('adult', 'select_one', { path: '/data/adult', choices_from: '/data/members/who', choice_filter: '${age} >= 18' }),
      f('g1', 'group', { path: '/data/g1', children: [f('note', 'text', { path: '/data/g1/note', default: '${last-saved#head}' })] }),
      f('g2', 'group', { path: '/data/g2', children: [f('note', 'text', { path: '/data/g2/note', required: true })] }),
      f('label', 'calculate', { path: '/data/label', calculation: "jr:choice-name(${sex}[1], '${sex}')" })
    ],
    choices: { sexes: [{ name: 'f', label: { zh: '女' } }, { name: 'm', label: { zh: '男' } }] },
    refs: { members: '/data/members', who: '/data/members/who', age: '/data/members/age', sex: '/data/members/sex', head: '/data/head', adult: '/data/adult', g1: '/data/g1', g2: '/data/g2', label: '/data/label' },
    repeats: ['/data/members']
  }
  const m = new FormModel(def, { instanceID: 'abc', now: () => NOW })
  m.set('/data/members[1]/who', '张三')
  m.set('/data/members[1]/age', '40')
  m.set('/data/members[1]/sex', 'f')
  assert.equal(m.get('/data/label'), '女', 'jr:choice-name knows the list of a select inside a repeat')
  m.addRepeat(def.fields[0], '/data/members')
  m.set('/data/members[2]/who', '李四')
  m.set('/data/members[2]/age', '9')
  const head = def.fields[1]
  const adult = def.fields[2]
  assert.deepEqual(m.choices(head, '/data/head').map((c) => [c.name, c.label.zh]), [['张三', '张三'], ['李四', '李四']])
  assert.deepEqual(m.choices(adult, '/data/adult').map((c) => c.name), ['张三'])
  m.set('/data/head', '李四')
  m.set('/data/adult', '张三')
  m.removeRepeat('/data/members', 2)
  assert.equal(m.get('/data/head'), '', 'an answer whose repeat entry is gone is no longer offered')
  assert.equal(m.get('/data/adult'), '张三')
  assert.equal(m.get('/data/g1/note'), '')
  m.set('/data/g1/note', 'x')
  assert.deepEqual(Object.keys(m.validate()), ['/data/g2/note'])
})
