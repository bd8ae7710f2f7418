// The report page's pure pieces: the period before a period, and the map's shading classes
// with the legend that names them (every value falls in the class its legend entry says).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SHADES, legendSteps, previousPeriod, shadeOf } from '../../mobile_web/console/app/components/ReportPage.js'

test('the period before a period crosses the year', () => {
  assert.equal(previousPeriod('2026-12'), '2026-11')
  assert.equal(previousPeriod('2027-01'), '2026-12')
  assert.equal(previousPeriod('2026-10'), '2026-09')
})

test('zero is the lightest class, the largest value the darkest, and each value has the legend entry of its colour', () => {
  for (const max of [0, 1, 2, 3, 7, 100, 12345]) {
    assert.equal(shadeOf(0, max), 0)
    if (max) assert.equal(shadeOf(max, max), SHADES.length - 1)
    const steps = legendSteps(max)
    const lows = steps.map(([, words]) => (words === '0' ? 0 : Number(words.replace('≥ ', ''))))
    assert.deepEqual(lows, [...lows].sort((a, b) => a - b))
    for (let v = 0; v <= Math.min(max, 2000); v++) {
      const entry = lows.filter((low) => low <= v).length - 1 // the last entry whose lower bound v reaches
      assert.equal(steps[entry][0], SHADES[shadeOf(v, max)], `value ${v} of ${max}`)
      if (v) assert.ok(shadeOf(v, max) >= shadeOf(v - 1, max), 'shading never gets lighter as values grow')
    }
  }
  assert.deepEqual(legendSteps(0).map(([, w]) => w), ['0'])
  assert.deepEqual(legendSteps(1), [[SHADES[0], '0'], [SHADES[SHADES.length - 1], '≥ 1']]) // one value: the darkest
  assert.deepEqual(legendSteps(101).map(([, w]) => w), ['0', '≥ 1', '≥ 14', '≥ 39', '≥ 64', '≥ 89'])
})
