// Building what a finished form sends, without the DOM: meta (device_id, start, end,
// location) in the model's clock and time zone, the data with meta/entity for a registry
// update, and only the photos the data still names.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FormModel } from '../../mobile_web/app/forms/model.js'
import { buildSubmission, entityMeta, firstLocation, stampNow } from '../../mobile_web/app/forms/submission.js'

const f = (name, type, extra = {}) => Object.assign({
  name, path: null, type, label: { zh: name }, hint: null, required: false, relevant: null, constraint: null,
  constraint_message: null, calculation: null, default: null, read_only: false, appearance: null, parameters: {},
  list_name: null, choice_filter: null, repeat_count: null
}, extra)

const VISIT = {
  form_id: 'visit',
  version: '1',
  title: { zh: '走访' },
  default_language: 'zh',
  root: 'data',
  fields: [
    f('start', 'start'),
    f('end', 'end'),
    f('person', 'select_one_from_file', { list_name: 'persons.csv' }),
    f('where', 'group', { children: [f('spot', 'geopoint'), f('note', 'text')] }),
    f('pets', 'select_one', { list_name: 'yn' }),
    f('pet_photo', 'image', { relevant: "${pets} = 'yes'" }),
    f('photos', 'repeat', { children: [f('photo', 'image')] }),
    f('meta', 'group', { children: [f('instanceID', 'calculate', { read_only: true })] })
  ],
  choices: { yn: [{ name: 'yes', label: { zh: '有' } }, { name: 'no', label: { zh: '无' } }] },
  refs: {
    start: '/data/start', end: '/data/end', person: '/data/person', where: '/data/where', spot: '/data/where/spot',
    note: '/data/where/note', pets: '/data/pets', pet_photo: '/data/pet_photo', photos: '/data/photos',
    photo: '/data/photos/photo', meta: '/data/meta', instanceID: '/data/meta/instanceID'
  },
  repeats: ['/data/photos'],
  entities: { dataset: 'persons', entity_id: '${person}', actions: ['update'] }
}
const PERSONS = [{ name: 'p-1', label: { zh: '马小红' }, __version: '3' }, { name: 'p-2', label: { zh: '张伟' } }]
const STARTED = Date.parse('2026-11-28T09:00:00+08:00')

function filled () {
  let now = STARTED
  const model = new FormModel(VISIT, { instanceID: 'abc', now: () => now, external: { 'persons.csv': PERSONS } })
  model.set('/data/person', 'p-1')
  model.set('/data/where/spot', '34.4 113.74 0 5')
  model.set('/data/pets', 'yes')
  model.set('/data/pet_photo', 'cat.jpg')
  model.set('/data/photos[1]/photo', 'door.jpg')
  model.set('/data/pets', 'no') // the pet photo is no longer relevant
  now = Date.parse('2026-11-28T09:12:30+08:00')
  return model
}

test('the meta: device, start as given, end and location from the model', () => {
  const model = filled()
  const { meta } = buildSubmission(model, { deviceId: 'web:1', start: '2026-11-28T09:00:00.000+08:00' })
  assert.deepEqual(meta, {
    device_id: 'web:1',
    start: '2026-11-28T09:00:00.000+08:00',
    end: '2026-11-28T09:12:30.000+08:00',
    location: { lat: 34.4, lon: 113.74, altitude: 0, accuracy: 5 }
  })
})

test("times are the model's clock in the model's time zone (the city's by default)", () => {
  const model = filled()
  assert.equal(model.tz, 'Asia/Shanghai')
  assert.equal(stampNow(model), '2026-11-28T09:12:30.000+08:00')
  const urumqi = new FormModel(VISIT, { now: () => STARTED, tz: 'Asia/Urumqi' })
  assert.equal(stampNow(urumqi), '2026-11-28T07:00:00.000+06:00')
  assert.equal(urumqi.data.start, '2026-11-28T07:00:00.000+06:00')
})

test('the data: non-relevant answers emptied, end stamped, meta/entity names the record and the version seen', () => {
  const model = filled()
  const { data } = buildSubmission(model, { external: { 'persons.csv': PERSONS }, start: 's' })
  assert.equal(data.pet_photo, '')
  assert.equal(data.end, '2026-11-28T09:12:30.000+08:00')
  assert.equal(data.meta.instanceID, 'uuid:abc')
  assert.deepEqual(data.meta.entity, { '@dataset': 'persons', '@id': 'p-1', '@update': '1', '@baseVersion': '3' })
  assert.equal(model.data.pet_photo, 'cat.jpg') // kept while filling, in case the answer changes back
})

test('only photos the data still names are sent', () => {
  const model = filled()
  const files = { 'cat.jpg': 'blob-cat', 'door.jpg': 'blob-door', 'old.jpg': 'blob-old' }
  assert.deepEqual(buildSubmission(model, { files, start: 's' }).files, { 'door.jpg': 'blob-door' })
})

test('meta/entity only for a form that updates a record that is named', () => {
  const model = filled()
  assert.deepEqual(entityMeta(VISIT, model, {}), { '@dataset': 'persons', '@id': 'p-1', '@update': '1' })
  assert.equal(entityMeta({ ...VISIT, entities: { ...VISIT.entities, actions: ['create'] } }, model, {}), null)
  assert.equal(entityMeta({ ...VISIT, entities: null }, model, {}), null)
  model.set('/data/person', '')
  assert.equal(entityMeta(VISIT, model, {}), null)
  assert.equal(buildSubmission(model, { start: 's' }).data.meta.entity, undefined)
})

test('location: the first answered geopoint, in groups too; none without one', () => {
  assert.deepEqual(firstLocation(VISIT.fields, { where: { spot: '34.5 113.8' } }),
    { lat: 34.5, lon: 113.8, altitude: null, accuracy: null })
  assert.equal(firstLocation(VISIT.fields, { where: { spot: '' } }), null)
  assert.equal(firstLocation(VISIT.fields, { where: { spot: 'not a point' } }), null)
})
