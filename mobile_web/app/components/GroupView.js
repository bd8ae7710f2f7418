// Groups (fieldsets) and repeats (a fieldset per entry, add/remove unless repeat_count
// fixes the number), rendered recursively; hidden and non-relevant fields are skipped.
import { html } from '../ui.js'
import { T } from '../i18n.js'
import { isHidden } from '../forms/model.js'
import { childPath, repeatEntries } from '../forms/instance.js'
import { Question } from './Question.js'

export function Fields ({ fields, parentPath, ctx }) {
  return fields.map((field) => {
    const path = childPath(parentPath, field.name)
    const st = ctx.model.state[path]
    if (isHidden(field) || (st && !st.relevant)) return null
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
      return html`<fieldset class="group entry" key=${entryPath}>
        <legend>${label} ${i + 1}</legend>
        <${Fields} fields=${field.children || []} parentPath=${entryPath} ctx=${ctx} />
        ${fixed || ctx.readOnly ? null : html`<button type="button" class="btn secondary"
          onClick=${() => ctx.removeRepeat(path, i + 1)}>${T.removeRepeat}（${label} ${i + 1}）</button>`}
      </fieldset>`
    })}
    ${fixed ? null : html`<button type="button" class="btn" onClick=${() => ctx.addRepeat(field, path)}>${T.addRepeat}：${label}</button>`}
  </section>`
}
