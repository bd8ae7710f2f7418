// select_one (radio buttons; 'minimal' -> drop-down; 'autocomplete' -> filter box + radios)
// and select_multiple (check boxes). Values are choice names; several are space-separated.
import { html, useState } from '../ui.js'
import { T } from '../i18n.js'
import { described, idFor } from './FieldFrame.js'

const MAX_SHOWN = 50 // long lists (persons of a grid) show the first matches; typing narrows them

export function SelectField ({ field, path, value, readOnly, onChange, choices, tr, hint, error }) {
  const [filter, setFilter] = useState('')
  const id = idFor(path)
  const multiple = field.type.startsWith('select_multiple')
  const app = field.appearance || ''
  const aria = described(path, hint, error)
  const selected = new Set(String(value || '').split(/\s+/).filter(Boolean))
  if (!multiple && /minimal/.test(app)) {
    return html`<select id=${id} value=${value} disabled=${readOnly} ...${aria} onChange=${(e) => onChange(e.target.value)}>
      <option value="">${T.choose}</option>
      ${choices.map((c) => html`<option value=${c.name} selected=${selected.has(String(c.name))}>${tr(c.label) || c.name}</option>`)}
    </select>`
  }
  let shown = choices
  const search = /autocomplete|search/.test(app) || choices.length > 30
  if (search && filter) {
    const q = filter.trim().toLowerCase()
    shown = choices.filter((c) => selected.has(String(c.name)) || (tr(c.label) || '').toLowerCase().includes(q) || String(c.name).includes(q))
  }
  const more = search && shown.length > MAX_SHOWN ? shown.length - MAX_SHOWN : 0
  if (more) shown = shown.filter((c, i) => i < MAX_SHOWN || selected.has(String(c.name)))
  const toggle = (name, on) => {
    if (!multiple) return onChange(on ? name : '')
    const next = choices.map((c) => String(c.name)).filter((n) => n === name ? on : selected.has(n))
    onChange(next.join(' '))
  }
  const horizontal = /horizontal|columns/.test(app)
  return html`
    ${search ? html`<input type="search" class="filter" placeholder=${T.search} aria-label=${T.search}
      aria-controls=${id} value=${filter} onInput=${(e) => setFilter(e.target.value)} />` : null}
    <div id=${id} class=${'choices' + (horizontal ? ' horizontal' : '')} role=${multiple ? 'group' : 'radiogroup'}
      aria-labelledby=${id + '-label'} ...${aria}>
      ${shown.map((c, i) => {
        const cid = `${id}-${i}`
        const name = String(c.name)
        return html`<label class="choice" for=${cid} key=${name}>
          <input id=${cid} type=${multiple ? 'checkbox' : 'radio'} name=${id} value=${name} disabled=${readOnly}
            checked=${selected.has(name)} onChange=${(e) => toggle(name, e.target.checked)} />
          <span>${tr(c.label) || name}</span></label>`
      })}
    </div>
    ${more ? html`<p class="q-hint">${T.more(more)}</p>` : null}`
}
