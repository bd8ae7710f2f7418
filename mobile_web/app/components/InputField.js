// Text, numbers, dates and times as native inputs (the phone's own keyboards and pickers).
import { html } from '../ui.js'
import { fromInput, toInput } from '../forms/values.js'
import { described, idFor } from './FieldFrame.js'

const KINDS = {
  integer: { type: 'text', inputmode: 'numeric', pattern: '-?[0-9]*' },
  decimal: { type: 'text', inputmode: 'decimal' },
  range: { type: 'text', inputmode: 'decimal' },
  date: { type: 'date' },
  time: { type: 'time' },
  dateTime: { type: 'datetime-local' }
}

export function InputField ({ field, path, value, readOnly, onChange, tz, hint, error }) {
  const id = idFor(path)
  const app = field.appearance || ''
  const aria = described(path, hint, error)
  if (field.type === 'text' && /multiline/.test(app)) {
    return html`<textarea id=${id} rows="4" value=${value} readonly=${readOnly} ...${aria}
      onInput=${(e) => onChange(e.target.value)}></textarea>`
  }
  if (field.type === 'date' && /month-year/.test(app)) { // answers stay full dates: the 1st of the month
    return html`<input id=${id} type="month" value=${value.slice(0, 7)} readonly=${readOnly} ...${aria}
      onInput=${(e) => onChange(e.target.value ? e.target.value + '-01' : '')} />`
  }
  const kind = KINDS[field.type] || (/numbers/.test(app) ? { type: 'text', inputmode: 'tel' } : { type: 'text' })
  return html`<input id=${id} type=${kind.type} inputmode=${kind.inputmode} pattern=${kind.pattern}
    value=${toInput(field.type, value)} readonly=${readOnly} autocomplete="off" ...${aria}
    onInput=${(e) => onChange(fromInput(field.type, e.target.value, tz))} />`
}
