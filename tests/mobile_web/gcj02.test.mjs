// The console's WGS-84 -> GCJ-02 display shift against published reference pairs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { displayShift, outOfChina, wgs84ToGcj02 } from '../../mobile_web/console/app/gcj02.js'

const close = (actual, expected, eps = 1e-9) => {
  assert.ok(Math.abs(actual[0] - expected[0]) < eps && Math.abs(actual[1] - expected[1]) < eps,
    `${actual} is not ${expected}`)
}

test('Tiananmen: the reference pair of the published formula', () => {
  // wgs84togcj02(116.404, 39.915) in the widely used coordtransform implementations
  close(wgs84ToGcj02(116.404, 39.915), [116.41024449916938, 39.91640428150164])
})

test('Xinzheng: the shift is a few hundred metres, east and north', () => {
  const [lon, lat] = wgs84ToGcj02(113.74, 34.40)
  const dx = (lon - 113.74) * 111320 * Math.cos(34.4 * Math.PI / 180)
  const dy = (lat - 34.40) * 110574
  assert.ok(dx > 300 && dx < 700 && dy > -300 && dy < 300, `${dx} m east, ${dy} m north`)
})

test('outside mainland China nothing moves', () => {
  assert.ok(outOfChina(139.7, 35.7))
  assert.deepEqual(wgs84ToGcj02(139.7, 35.7), [139.7, 35.7])
  assert.deepEqual(wgs84ToGcj02(2.35, 48.85), [2.35, 48.85])
})

test('WGS-84 tiles (or none) leave positions as stored', () => {
  assert.deepEqual(displayShift('wgs84')(113.74, 34.4), [113.74, 34.4])
  close(displayShift('gcj02')(116.404, 39.915), [116.41024449916938, 39.91640428150164])
})
