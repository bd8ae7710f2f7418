// The admin-unit tree (city → township → community → grid) as nested lists with a disclosure
// button per unit; only opened units draw their children (a city has hundreds of grids). The
// picker chooses a user's admin units by ticking them in the tree or by finding them by name.
import { html, useState } from '../../../app/ui.js'
import { A, LEVEL_LABEL } from '../admin_strings.js'
import { ancestorsOf, findUnits } from '../unit_tree.js'

/** Which units are open, and opening the way down to one. */
export function useOpened (initial = []) {
  const [opened, setOpened] = useState(() => new Set(initial))
  const toggle = (code) => setOpened((s) => { const n = new Set(s); if (n.has(code)) n.delete(code); else n.add(code); return n })
  const reveal = (codes) => setOpened((s) => new Set([...s, ...codes]))
  return { opened, toggle, reveal }
}

/** Nested lists of units; ``item(unit)`` draws a unit's own row (a check box, a button). */
export function UnitTree ({ roots, opened, toggle, item, label }) {
  const branch = (nodes, depth) => html`<ul class=${depth ? 'tree-branch' : 'tree'} aria-label=${depth ? undefined : label}>
    ${nodes.map((u) => {
      const kids = u.children || []
      const open = opened.has(u.code)
      return html`<li key=${u.code} data-unit=${u.code}>
        <div class="tree-row">
          ${kids.length
            ? html`<button type="button" class="tree-toggle" aria-expanded=${open ? 'true' : 'false'}
                aria-label=${open ? A.collapse(u.name) : A.expand(u.name)} onClick=${() => toggle(u.code)}>${open ? '−' : '+'}</button>`
            : html`<span class="tree-leaf" aria-hidden="true"></span>`}
          ${item(u)}
        </div>
        ${open && kids.length ? branch(kids, depth + 1) : null}
      </li>`
    })}
  </ul>`
  return branch(roots || [], 0)
}

/** Chosen units as removable chips, a finder by name or code, and the tree with check boxes. */
export function UnitPicker ({ index, roots, value, onChange, error }) {
  const [text, setText] = useState('')
  const { opened, toggle, reveal } = useOpened((roots || []).map((u) => u.code))
  const chosen = new Set(value)
  const flip = (code, on) => {
    const next = new Set(chosen)
    if (on) next.add(code); else next.delete(code)
    onChange([...next])
  }
  const name = (code) => (index.get(code) ? index.get(code).unit.name : code)
  const found = findUnits(index, text)
  const box = (u, where = '') => html`<label class="check unit-check">
    <input type="checkbox" checked=${chosen.has(u.code)} onChange=${(e) => flip(u.code, e.target.checked)} />
    <span>${u.name}${where ? html` <span class="muted">${where}</span>` : null}
      ${' '}<span class="muted small-id">${LEVEL_LABEL[u.level] || u.level} ${u.code}</span></span></label>`
  return html`<fieldset class="unit-picker" aria-describedby="units-hint">
    <legend>${A.unitsField}</legend>
    <p class="hint" id="units-hint">${A.unitsHint}</p>
    <div class="chips" aria-live="polite">
      <span class="chips-label">${A.unitsChosen}：</span>
      ${value.length ? value.map((code) => html`<span class="chip" key=${code}>${name(code)}
        <button type="button" class="chip-x" aria-label=${A.removeUnit(name(code))} onClick=${() => flip(code, false)}>×</button></span>`)
        : html`<span class="muted">${A.noUnitsChosen}</span>`}
    </div>
    ${error ? html`<p class="q-error" role="alert">${error}</p>` : null}
    <div class="field"><label for="unit-find">${A.findUnit}</label>
      <input id="unit-find" type="search" value=${text} onInput=${(e) => setText(e.target.value)} autocomplete="off" /></div>
    ${text.trim() ? html`<div class="unit-found">
      <p class="hint" role="status">${found.length > 50 ? A.tooMany(found.length) : A.matches(found.length)}</p>
      <ul class="plain">${found.slice(0, 50).map((e) => html`<li key=${e.unit.code}>${box(e.unit, e.path.slice(1).join(' › '))}
        <button type="button" class="link" onClick=${() => { reveal([...ancestorsOf(index, e.unit.code), e.unit.code]); setText('') }}>${A.showInTree}</button></li>`)}</ul>
    </div>` : null}
    <div class="tree-box"><${UnitTree} roots=${roots} opened=${opened} toggle=${toggle} label=${A.tree} item=${(u) => box(u)} /></div>
  </fieldset>`
}
