// Groups (fieldsets) and repeats (a fieldset per entry, add/remove unless repeat_count
// fixes the number), rendered recursively; hidden and non-relevant fields are skipped.
// A long page mounts progressively (FormScreen.js): ctx.mounted(path) says whether a field
// is in the prefix mounted so far (mountOrder() numbers the fields for it), ctx.allMounted
// whether the whole page is.
import { html } from '../ui.js'
import { T } from '../i18n.js'
import { isHidden } from '../forms/model.js'
import { childPath, repeatEntries } from '../forms/instance.js'
import { Question } from './Question.js'

/** Fields does not show this field at all (hidden type, or not relevant now). */
const skipped = (model, field, path) => {
  const st = model.state[path]
  return isHidden(field) || (st && !st.relevant)
}

/**
 * The order a page mounts in: before = path -> number of shown questions ahead of it (a group,
 * repeat or repeat entry counts from its first question), total = the page's shown questions.
 * Skips exactly what Fields skips, so mounting the fields with before < n shows n questions.
 */
export function mountOrder (model, fields, parentPath) {
  const before = new Map()
  let n = 0
  const visit = (list, parent) => {
    for (const field of list) {
      const path = childPath(parent, field.name)
      if (skipped(model, field, path)) continue
      before.set(path, n)
      if (field.type === 'group') visit(field.children || [], path)
      else if (field.type === 'repeat') {
        repeatEntries(model.data, path).forEach((_, i) => {
          const entry = childPath(parent, field.name, i + 1)
          before.set(entry, n)
          visit(field.children || [], entry)
        })
      } else n++
    }
  }
  visit(fields, parentPath)
  return { before, total: n }
}

const mounted = (ctx, path) => !ctx.mounted || ctx.mounted(path)

export function Fields ({ fields, parentPath, ctx }) {
  return fields.map((field) => {
    const path = childPath(parentPath, field.name)
    if (skipped(ctx.model, field, path) || !mounted(ctx, path)) return null
    if (field.type === 'group') return html`<${Group} key=${path} field=${field} path=${path} ctx=${ctx} />`
    if (field.type === 'repeat') return html`<${Repeat} key=${path} field=${field} path=${path} parentPath=${parentPath} ctx=${ctx} />`
    return html`<${Question} key=${path} field=${field} path=${path} ctx=${ctx} />`
  })
}

function Group ({ field, path, ctx }) {
  const label = ctx.text(field.label, path)
  return html`<fieldset class="group">
    ${label ? html`<legend>${label}</legend>` : null}
    <${Fields} fields=${field.children || []} parentPath=${path} ctx=${ctx} />
  </fieldset>`
}

function Repeat ({ field, path, parentPath, ctx }) {
  const entries = repeatEntries(ctx.model.data, path)
  const label = ctx.text(field.label, path) || field.name
  const fixed = !!field.repeat_count
  return html`<section class="repeat" aria-label=${label}>
    ${entries.map((_, i) => {
      const entryPath = childPath(parentPath, field.name, i + 1)
      if (!mounted(ctx, entryPath)) return null
      return html`<fieldset class="group entry" key=${entryPath}>
        <legend>${label} ${i + 1}</legend>
        <${Fields} fields=${field.children || []} parentPath=${entryPath} ctx=${ctx} />
        ${fixed || ctx.readOnly ? null : html`<button type="button" class="btn secondary"
          onClick=${() => ctx.removeRepeat(path, i + 1)}>${T.removeRepeat}（${label} ${i + 1}）</button>`}
      </fieldset>`
    })}
    ${fixed || ctx.allMounted === false ? null // the add button follows the last entry, once it is there
      : html`<button type="button" class="btn" onClick=${() => ctx.addRepeat(field, path)}>${T.addRepeat}：${label}</button>`}
  </section>`
}
