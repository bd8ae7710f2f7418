// 数据共享: the words of the export, import and webhook screens, and their calls on the API
// (over the console's request wrapper), kept apart from the review screens' strings and calls.
const enc = encodeURIComponent

export const S = {
  exports: '数据导出',
  imports: '批量导入',
  webhooks: '数据推送',
  exportIntro: '导出本人权限和用途范围内的数据；敏感字段按用途脱敏，每次导出都记入审计。下载链接限时有效。',
  source: '导出内容',
  sourceDataset: '登记库数据集',
  sourceForm: '表单提交数据',
  dataset: '数据集',
  form: '表单',
  format: '文件格式',
  start: '开始导出',
  progress: '进度',
  rows: (done, total) => `已处理 ${done} / ${total ?? '?'} 行`,
  download: '下载文件',
  downloading: '正在下载…',
  status: { queued: '排队中', running: '进行中', done: '已完成', failed: '失败', expired: '已过期' },
  importIntro: '上传部门导出的 CSV 或 XLSX 文件（UTF-8 或 GBK/GB18030），逐行核验后经同一查重合并写入登记库。同一文件重复导入不会新增记录。',
  file: '文件（CSV 或 XLSX）',
  noFile: '未选择文件',
  sourceName: '数据来源（如 police-platform）',
  encoding: '文件编码',
  encodingAuto: '自动识别',
  mapping: '列映射（YAML，可选）',
  upload: '上传并导入',
  uploading: '正在上传…',
  report: '导入报告',
  outcome: {
    created: '新建', updated: '更新', duplicate_candidate: '疑似重复（待督导）', unchanged: '未变化',
    duplicate_in_file: '文件内重复', refused: '拒收'
  },
  refusedRows: '拒收的行',
  row: '行号',
  reason: '原因',
  count: '行数',
  webhookIntro: '登记的 HTTPS 地址会按顺序收到本部门用途范围内的变更事件（与变更订阅相同），每个请求带 Gridreg-Signature 签名；失败会按指数退避重试，多次失败后进入失败列表，可重发。',
  subscriptions: '推送订阅',
  url: '接收地址（https://）',
  description: '说明',
  account: '部门账号',
  register: '登记推送',
  secretOnce: '签名密钥只显示这一次，请立即保存到接收系统：',
  active: '状态',
  on: '启用',
  off: '已停用',
  pending: '待发送',
  delivered: '已送达',
  dead: '失败',
  deadLetters: '失败的推送',
  noDead: '没有失败的推送',
  noSubs: '还没有登记推送地址',
  replay: '重发',
  replayAll: '全部重发',
  replayed: (n) => `已重新排队 ${n} 条推送`,
  stop: '停用',
  stopped: '推送已停用',
  show: '查看失败推送',
  event: '事件',
  attempts: '尝试次数',
  lastError: '最后错误',
  when: '时间',
  kinds: { created: '新增', updated: '更新', moved: '迁移', departed: '离开', returned: '返回', merged: '合并', unmerged: '拆分' }
}

/** The sharing calls, on the console's api (request, blobUrl). */
export function sharingApi (api) {
  return {
    startExport: (body) => api.request('POST', '/exports', { json: body }),
    exportState: (id) => api.request('GET', `/exports/${enc(id)}`),
    startImport (fields, file) {
      const body = new FormData()
      for (const [k, v] of Object.entries(fields)) if (v) body.append(k, v)
      body.append('file', file, file.name)
      return api.request('POST', '/imports', { body })
    },
    importState: (id) => api.request('GET', `/imports/${enc(id)}`),
    webhooks: () => api.request('GET', '/webhooks'),
    addWebhook: (body) => api.request('POST', '/webhooks', { json: body }),
    stopWebhook: (id) => api.request('DELETE', `/webhooks/${enc(id)}`),
    deadLetters: (id) => api.request('GET', `/webhooks/${enc(id)}/deliveries?status=dead`),
    replayAll: (id) => api.request('POST', `/webhooks/${enc(id)}/replay`),
    replayOne: (id, deliveryId) => api.request('POST', `/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}/replay`)
  }
}

/** Poll load() every `every` ms until the state is final; returns a stop function. */
export function poll (load, onState, every = 800) {
  let live = true
  const tick = async () => {
    if (!live) return
    try {
      const state = await load()
      if (!live) return
      onState(state, null)
      if (state.status === 'queued' || state.status === 'running') setTimeout(tick, every)
    } catch (e) {
      if (live) onState(null, e)
    }
  }
  tick()
  return () => { live = false }
}
