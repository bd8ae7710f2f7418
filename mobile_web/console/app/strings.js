// The console's interface strings (zh-CN) and the words for states, flags and registry events.
// Strings shared with the phone client (login, paging, languages) come from ../../app/i18n.js.
import { DEFAULT_TZ_NAME } from '../../app/forms/expr/dates.js'
import { wallParts } from '../../app/forms/values.js'

export const C = {
  appName: '网格督导台',
  notForRole: '网格督导台仅供督导员、部门、表单设计员和管理员使用。网格员请使用手机端“网格采集”。',
  openPhone: '打开网格采集（手机端）',
  mainNav: '主菜单',
  queue: '审核队列',
  duplicates: '疑似重复',
  conflicts: '数据冲突',
  moves: '待审迁移',
  people: '人员查询',
  loading: '正在加载…',
  none: '暂无',
  noItems: '没有符合条件的记录',
  stale: '数据已被他人修改，请刷新',
  reload: '刷新',
  filters: '筛选条件',
  apply: '筛选',
  clear: '清除条件',
  form: '表单',
  any: '全部',
  reviewState: '审核状态',
  status: '校验状态',
  flag: '标记',
  grid: '网格',
  submitter: '网格员（用户名）',
  since: '提交日期从',
  until: '提交日期至',
  received: '提交时间',
  open: '查看',
  next: '下一页',
  first: '回到第一页',
  counts: '各审核状态数量',
  back: '返回审核队列',
  answers: '填报内容',
  photos: '照片',
  map: '位置',
  noLocation: '没有位置信息',
  baseMap: '显示底图',
  accuracy: (m) => `精度 ±${m} 米`,
  flags: '需要注意',
  problems: '校验问题',
  diff: '与上一版本相比的修改',
  noDiff: '没有答案被修改',
  before: '修改前',
  after: '修改后',
  question: '题目',
  editOf: (at) => `这是网格员对 ${at} 提交的修改版。`,
  openPrevious: '查看原提交',
  superseded: '网格员已提交修改版，这一版不再审核。',
  openLatest: '查看最新版本',
  previousComment: (state, text) => `原提交的审核意见（${state}）：${text}`,
  versions: '版本',
  review: '审核',
  comment: '审核意见',
  commentHint: '退回修改或不通过时必须填写意见；网格员会在手机上看到',
  commentNeeded: '退回修改或不通过时请填写意见',
  thread: '意见记录',
  noComments: '还没有意见',
  addComment: '发表意见',
  commentText: '意见内容',
  saved: '已保存',
  fullSize: '查看原图',
  photoOf: (label) => `照片：${label}`,
  emptyAnswer: '（未填）',
  repeatEntry: (label, i) => `${label} 第 ${i} 组`,
  score: '相似度',
  reasons: '相似原因',
  recordA: '记录 A',
  recordB: '记录 B',
  property: '项目',
  differs: '不同',
  survivor: '保留哪条记录',
  keep: (x) => `保留${x}`,
  merge: '合并为同一人',
  distinct: '不是同一人',
  unmerge: '撤销合并',
  confirmUnmerge: '确定撤销这次合并吗？被合并的记录会恢复。',
  dataset: '数据集',
  base: '原值',
  current: '当前值',
  incoming: '新提交值',
  choose: (label) => `${label}：选择保留的值`,
  resolve: '保存选择',
  conflictKind: { hard: '同时修改（需人工选择）', soft: '提示' },
  fromGrid: '现所在网格',
  toGrid: '提交中所在网格',
  accept: '同意迁移',
  reject: '不同意（留在原网格）',
  movedPoint: '提交时的位置',
  person: '人员',
  currentValues: '当前信息',
  timeline: '变更记录',
  followups: '未办结的跟进事项',
  noFollowups: '没有未办结的跟进事项',
  submissionsBehind: '来源提交',
  mergedInto: '已合并到：',
  mergedFrom: '合并进来的记录：',
  openSurvivor: '查看保留的记录',
  mergedRecord: (i) => `记录 ${i}`,
  searchName: '姓名（汉字或拼音）',
  search: '查询',
  version: (n) => `第 ${n} 版`,
  by: { submission: '提交', supervisor: '督导员', import: '导入', system: '系统' },
  language: '表单语言',
  showEmpty: '显示未填的题目'
}

const LANGUAGE_NAMES = { zh: '中文', en: 'English', ug: 'ئۇيغۇرچە（维吾尔文）', bo: '藏文', mn: '蒙古文', default: '默认' }
/** A form language for people: 'zh' -> 中文; 'Uyghur (ug)' keeps its own name. */
export const languageName = (lang) => LANGUAGE_NAMES[lang] || lang

export const REVIEW_STATES = ['received', 'has_issues', 'approved', 'rejected', 'returned']
export const REVIEW_LABEL = {
  received: '待审核', has_issues: '有问题', approved: '已通过', rejected: '不通过', returned: '需要修改'
}
export const REVIEW_ACTION = {
  approved: '通过', has_issues: '标记有问题', returned: '退回修改', rejected: '不通过'
}
export const STATUS_LABEL = {
  received: '待校验', validated: '校验通过', invalid: '校验未通过', merged: '已入库', rejected: '入库被拒'
}
export const FLAG_LABEL = { outside_scope: '超出负责网格', low_accuracy: '定位精度差', no_location: '无位置' }
export const EVENT_LABEL = {
  created: '登记（到达）',
  updated: '信息更新',
  moved: '迁移到其他网格',
  departed: '离开',
  returned: '返回',
  merged: '合并',
  unmerged: '撤销合并'
}
export const ENTITY_STATUS = { active: '在住', departed: '已离开', merged: '已合并' }

/** A flag explained in words, from its detail ({accuracy_m, threshold_m} or {distance_m, grid}). */
export function explainFlag (name, detail = {}) {
  const d = detail || {}
  if (name === 'low_accuracy') {
    return `定位精度较差：约 ±${Math.round(d.accuracy_m)} 米，超过本表单要求的 ${Math.round(d.threshold_m)} 米，位置可能不准。`
  }
  if (name === 'outside_scope') {
    const where = d.grid ? `位于网格 ${d.grid}` : '不在任何网格内'
    const far = d.distance_m !== null && d.distance_m !== undefined ? `，距其负责范围约 ${Math.round(d.distance_m)} 米` : ''
    return `提交位置${where}，不在该网格员负责的范围内${far}。请核实是否走错网格或人员已迁移。`
  }
  if (name === 'no_location') return '这条提交没有位置信息，已按网格员所在网格归档。'
  return FLAG_LABEL[name] || name
}

/** '2026-12-07T06:28:52Z' -> '2026-12-07 14:28': wall-clock time in the city's zone (the phone client's values.js). */
export function when (iso, tz = DEFAULT_TZ_NAME) {
  if (!iso) return ''
  const ms = Date.parse(iso)
  if (isNaN(ms)) return iso
  const w = wallParts(ms, tz)
  return `${w.date} ${w.time.slice(0, 5)}`
}

/** A registry event in words: an update that recorded a visit is a visit. */
export function eventLabel (kind, changed = []) {
  if (kind === 'updated' && (changed || []).includes('last_visit_date')) return '走访'
  return EVENT_LABEL[kind] || kind
}
