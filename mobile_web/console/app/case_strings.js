// Words of the department inbox and the case pages (zh-CN): statuses, actions, filters.
export const K = {
  cases: '事项办理',
  deptCases: '本部门事项',
  newCase: '新建事项',
  title: '事项标题',
  kind: '事项类型',
  department: '承办部门',
  status: '办理状态',
  overdue: '是否超期',
  overdueOnly: '仅超期',
  notOverdue: '未超期',
  overdueBadge: '已超期',
  assignee: '承办人',
  opened: '登记日期',
  due: '办理时限',
  resolved: '办结日期',
  closed: '关闭日期',
  notes: '事项说明',
  resolution: '办理结果',
  person: '当事人',
  personMasked: '按本部门职责可见的当事人信息，敏感信息已脱敏',
  actions: '办理记录',
  noActions: '暂无办理记录',
  work: '办理',
  changeStatus: '变更状态',
  saveAssignee: '指派',
  assigneeHint: '填写承办人姓名，留空表示取消指派',
  note: '办理情况记录',
  addNote: '添加记录',
  noteNeeded: '请填写办理情况',
  notYours: '该事项未转办给本部门，只能查看，不能办理。',
  backToList: '返回事项列表',
  findPerson: '查找当事人（姓名或拼音）',
  pickPerson: '选择当事人',
  noPerson: '请先查找并选择当事人',
  dueOptional: '办理时限（不填按事项类型自动计算）',
  create: '登记并转办',
  created: '事项已登记并转办',
  saved: '已保存',
  grid: '所在网格',
  open: '查看'
}

export const CASE_STATUS = { open: '待办理', in_progress: '办理中', resolved: '已办结', closed: '已关闭' }

/** The moves a case may make from each status (server/domain/cases.py TRANSITIONS), with the button's words. */
export const TRANSITIONS = {
  open: [['in_progress', '开始办理'], ['resolved', '直接办结']],
  in_progress: [['resolved', '办结'], ['open', '退回待办理']],
  resolved: [['closed', '关闭事项'], ['in_progress', '继续办理'], ['open', '重新打开']],
  closed: [['open', '重新打开']]
}

/** An action record in words. */
export const ACTION_LABEL = {
  opened: '登记', in_progress: '开始办理', resolved: '办结', closed: '关闭', reopened: '重新打开', open: '退回待办理',
  assigned: '指派', noted: '记录', edited: '修改', created: '登记', updated: '更新', moved: '随当事人迁移'
}
