// Form texts in the chosen language, Chinese first, right-to-left scripts recognised.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { initialLanguage, isRtl, langCode, pick } from '../../mobile_web/app/i18n.js'

test('language codes, RTL and text picking with fallbacks', () => {
  assert.equal(langCode('Uyghur (ug)'), 'ug')
  assert.equal(langCode('zh'), 'zh')
  assert.ok(isRtl('ug') && isRtl('Uyghur (ug)') && !isRtl('zh') && !isRtl('kk'))
  const label = { zh: '姓名', ug: 'ئىسمى' }
  assert.equal(pick(label, 'ug', 'zh'), 'ئىسمى')
  assert.equal(pick(label, 'en', 'zh'), '姓名')
  assert.equal(pick({ en: 'Name' }, 'zh', 'zh'), 'Name')
  assert.equal(pick(null, 'zh'), '')
  assert.equal(pick('plain', 'zh'), 'plain')
  assert.equal(initialLanguage({ languages: ['en', 'Chinese (zh)'], default_language: 'en' }), 'Chinese (zh)')
  assert.equal(initialLanguage({ languages: ['ug'], default_language: 'ug' }), 'ug')
})
