// The console's audit filters as the API's query: city days, the last day included.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { auditQuery, cityDayStart } from '../../mobile_web/console/app/audit_query.js'

test('a day is its start in the city, and the day after for the exclusive end', () => {
  assert.equal(cityDayStart('2026-12-07'), '2026-12-07T00:00:00+08:00')
  assert.equal(cityDayStart('2026-12-31', true), '2027-01-01T00:00:00+08:00')
  assert.equal(cityDayStart('2028-02-28', true), '2028-02-29T00:00:00+08:00')
  assert.equal(cityDayStart(''), undefined)
  assert.equal(cityDayStart('07/12/2026'), undefined)
})

test('empty filters are left out; text is trimmed; full reads is a flag', () => {
  const none = { actor: ' ', action: '', target: '', since: '', until: '', full_reads: false }
  assert.deepEqual(Object.entries(auditQuery(none)).filter(([, v]) => v !== undefined), [['limit', 50]])
  const q = auditQuery({ actor: ' police ', action: 'registry.reveal', target: 'abc', since: '2026-12-01',
    until: '2026-12-07', full_reads: true }, 'NDI')
  assert.deepEqual(q, { actor: 'police', action: 'registry.reveal', target: 'abc', since: '2026-12-01T00:00:00+08:00',
    until: '2026-12-08T00:00:00+08:00', full_reads: 'true', cursor: 'NDI', limit: 50 })
})
