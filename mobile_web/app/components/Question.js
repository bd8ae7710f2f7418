// One question: picks the control for the field type inside the shared frame.
import { html, Component } from '../ui.js'
import { T } from '../i18n.js'
import { errorText, FieldFrame, idFor } from './FieldFrame.js'
import { InputField } from './InputField.js'
import { SelectField } from './SelectField.js'
import { GeopointField } from './GeopointField.js'
import { ImageField } from './ImageField.js'

const INPUTS = new Set(['text', 'integer', 'decimal', 'date', 'time', 'dateTime', 'range', 'barcode'])
const SELECTS = new Set(['select_one', 'select_multiple', 'select_one_from_file', 'select_multiple_from_file'])

/**
 * One question; re-rendered only when the form changed (ctx.version: answers, relevance,
 * errors, language), so mounting more of a long page leaves the mounted questions alone.
 */
export class Question extends Component {
  shouldComponentUpdate (next) {
    return next.ctx.version !== this.props.ctx.version || next.field !== this.props.field || next.path !== this.props.path
  }

  render (props) { return QuestionView(props) }
}

function QuestionView ({ field, path, ctx }) {
  const { model, tr, text, setValue } = ctx
  const st = model.state[path] || { relevant: true }
  const value = String(model.get(path) || '')
  const label = text(field.label, path) || field.name
  const hint = text(field.hint, path)
  const error = errorText(model.errors[path], tr)
  const props = {
    field, path, value, readOnly: st.readOnly, tz: model.tz, tr, hint, error,
    onChange: (v) => setValue(path, v)
  }
  if (field.type === 'note') {
    return html`<div class="q note" id=${idFor(path)}><div class="q-label">${label}</div>
      ${hint ? html`<div class="q-hint">${hint}</div>` : null}${value ? html`<output>${value}</output>` : null}</div>`
  }
  let control
  let group = false
  if (INPUTS.has(field.type)) control = html`<${InputField} ...${props} />`
  else if (SELECTS.has(field.type)) {
    group = true
    control = html`<${SelectField} ...${props} choices=${model.choices(field, path)} />`
  } else if (field.type === 'geopoint') control = html`<${GeopointField} ...${props} />`
  else if (field.type === 'image') control = html`<${ImageField} ...${props} files=${ctx.files} setFile=${ctx.setFile} />`
  else if (field.type === 'acknowledge') {
    control = html`<label class="choice"><input id=${idFor(path)} type="checkbox" checked=${value === 'OK'}
      disabled=${st.readOnly} onChange=${(e) => setValue(path, e.target.checked ? 'OK' : '')} /><span>${T.acknowledge}</span></label>`
  } else control = html`<p class="warn" id=${idFor(path)}>${T.unsupported}</p>`
  if (group && field.appearance && /minimal/.test(field.appearance) && !field.type.startsWith('select_multiple')) group = false
  return html`<${FieldFrame} path=${path} label=${label} hint=${hint} required=${st.required} error=${error}
    group=${group}>${control}<//>`
}
