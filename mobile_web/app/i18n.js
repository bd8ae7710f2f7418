// Interface strings (zh-CN first) and picking a form text in the chosen language.

export const T = {
  appName: '网格采集',
  login: '登录',
  loginAgain: '登录已过期，请重新登录（未发送的数据会保留）',
  username: '用户名',
  password: '密码',
  loggingIn: '正在登录…',
  logout: '退出登录',
  forms: '表单',
  outbox: '发送箱',
  refresh: '刷新',
  offlineCached: '离线：显示已缓存的表单',
  noForms: '暂无可填写的表单',
  newRecord: '新建',
  sendNow: '立即发送',
  sending: '正在发送…',
  online: '在线',
  offline: '离线',
  states: { draft: '草稿', queued: '待发送', sending: '发送中', sent: '已发送', needs_attention: '需处理' },
  edit: '修改',
  retry: '重新发送',
  resubmit: '修改后重新提交',
  resubmitLabel: (name) => `修改后重新提交：${name}`,
  editOf: '修改版',
  superseded: '已有修改版',
  editFailed: '无法修改：',
  discard: '删除',
  confirmDiscard: '确定删除这条记录吗？删除后无法恢复。',
  empty: '没有记录',
  prev: '上一页',
  next: '下一页',
  saveDraft: '保存草稿',
  finish: '完成并放入发送箱',
  saved: '草稿已保存',
  required: '此项为必填项',
  invalid: '填写的内容不符合要求',
  badInteger: '请输入整数',
  badDecimal: '请输入数字',
  residentId_length: '身份证号码应为18位（或15位旧号码）',
  residentId_birth_date: '身份证号码中的出生日期无效',
  residentId_check_char: '身份证号码校验位不正确，请核对',
  page: (i, n) => `第 ${i} / ${n} 页`,
  fixErrors: (n) => `本页有 ${n} 处需要修改`,
  addRepeat: '添加一组',
  removeRepeat: '删除此组',
  language: '语言',
  choose: '请选择…',
  search: '输入文字筛选',
  more: (n) => `还有 ${n} 项未显示，请输入文字筛选`,
  geoGet: '获取位置',
  geoRetry: '重新定位',
  geoWaiting: '正在定位…',
  geoAccuracy: (m) => `精度约 ±${m} 米`,
  geoWeak: (m) => `精度较差（±${m} 米），建议到开阔处重新定位`,
  geoFailed: '无法获取位置：',
  geoDenied: '未允许定位，请在浏览器设置中允许本网站使用位置',
  geoUnavailable: '此设备不支持定位',
  photoTake: '拍照',
  photoRetake: '重拍',
  photoRemove: '删除照片',
  photoProcessing: '正在处理照片…',
  unsupported: '此题型在网页端暂不支持，请用 ODK Collect 填写',
  acknowledge: '确认',
  loadFailed: '加载失败：',
  formNotCached: '此表单尚未下载，请联网后打开表单列表',
  queuedOk: '已放入发送箱，联网后自动发送',
  lastSync: '上次发送',
  storageWarn: '手机存储空间不足，请尽快联网发送数据',
  confirmLogout: '退出后需联网重新登录；未发送的数据会保留在本机，您重新登录后再发送。确定退出吗？'
}

const RTL = new Set(['ug', 'ar', 'fa', 'he', 'ur', 'ps', 'ckb', 'dv', 'yi'])

/** The language code inside an XLSForm language name: 'Uyghur (ug)' -> 'ug', 'zh' -> 'zh'. */
export function langCode (lang) {
  const m = /\(([A-Za-z-]+)\)\s*$/.exec(lang || '')
  return (m ? m[1] : (lang || '')).toLowerCase()
}

export const isRtl = (lang) => RTL.has(langCode(lang).split('-')[0])

/** A form text ({lang: text} or a string) in lang, else the form's default, else any. */
export function pick (texts, lang, fallback) {
  if (texts === null || texts === undefined) return ''
  if (typeof texts === 'string') return texts
  if (texts[lang]) return texts[lang]
  if (fallback && texts[fallback]) return texts[fallback]
  if (texts.default) return texts.default
  const any = Object.values(texts).find(Boolean)
  return any || ''
}

/** The form language to start with: Chinese if the form has it, else its default. */
export function initialLanguage (def) {
  const langs = def.languages || []
  return langs.find((l) => langCode(l).startsWith('zh')) || def.default_language || langs[0] || 'default'
}
