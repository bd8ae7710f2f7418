// The console's unit-tree index: finding units by name or code, and the path to open to show one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ancestorsOf, findUnits, indexTree } from '../../mobile_web/console/app/unit_tree.js'

const TREE = [{ code: '410184', name: '新郑市', level: 'city', children: [
  { code: '410184001', name: '新建路街道', level: 'township', children: [
    { code: '410184001001', name: '新建路街道第一社区', level: 'community', children: [
      { code: '410184001001001', name: '新建路街道第一社区第1网格', level: 'grid', children: [] },
      { code: '410184001001002', name: '新建路街道第一社区第2网格', level: 'grid', children: [] }] }] },
  { code: '410184100', name: '龙湖镇', level: 'township', children: [] }] }]

test('every unit is indexed with the names above it', () => {
  const index = indexTree(TREE)
  assert.equal(index.size, 6)
  assert.deepEqual(index.get('410184001001002').path, ['新郑市', '新建路街道', '新建路街道第一社区'])
  assert.equal(index.get('410184').parent, null)
})

test('finding matches every word in the name, the path or the code, top levels first', () => {
  const index = indexTree(TREE)
  assert.deepEqual(findUnits(index, '第2网格').map((e) => e.unit.code), ['410184001001002'])
  assert.deepEqual(findUnits(index, '新建路 网格').map((e) => e.unit.code), ['410184001001001', '410184001001002'])
  assert.deepEqual(findUnits(index, '410184100').map((e) => e.unit.code), ['410184100'])
  assert.deepEqual(findUnits(index, '新郑').map((e) => e.unit.level), ['city', 'township', 'township', 'community', 'grid', 'grid'])
  assert.deepEqual(findUnits(index, '   '), [])
  assert.deepEqual(findUnits(index, '上海'), [])
})

test('the nodes to open to show a unit run from the top', () => {
  const index = indexTree(TREE)
  assert.deepEqual(ancestorsOf(index, '410184001001001'), ['410184', '410184001', '410184001001'])
  assert.deepEqual(ancestorsOf(index, '410184'), [])
  assert.deepEqual(ancestorsOf(index, 'nope'), [])
})
