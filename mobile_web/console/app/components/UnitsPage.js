// 行政区划: the admin-unit tree beside a map of the chosen unit's boundary and its children's,
// drawn by the console's one map component (MapView.js).
import { html, useMemo, useState } from '../../../app/ui.js'
import { A, LEVEL_LABEL } from '../admin_strings.js'
import { Loading, useLoad } from './common.js'
import { MapBox, STYLES } from './MapView.js'
import { UnitTree, useOpened } from './UnitTree.js'
import { loadUnits } from './UsersPage.js'

function UnitMap ({ app, unit }) {
  const kids = unit.children || []
  const layers = useMemo(() => [
    { kind: 'area', key: 'grid', geometry: unit.boundary, style: STYLES.grid, name: `${A.selected}：${unit.name}` },
    ...kids.map((k) => ({ kind: 'area', key: 'neighbour', geometry: k.boundary, style: STYLES.neighbour, name: null }))
  ], [unit.code])
  const legend = [{ key: 'grid', name: `${A.selected}：${unit.name}` },
    ...(kids.length ? [{ key: 'neighbour', name: A.childrenOf(kids.length) }] : [])]
  if (!unit.boundary) return html`<p class="muted">${A.noBoundary}</p>`
  return html`<${MapBox} app=${app} layers=${layers} legend=${legend} label=${A.unitMap(unit.name)} />`
}

function UnitFacts ({ unit, path }) {
  const kids = unit.children || []
  return html`<dl class="facts">
    <dt>${A.code}</dt><dd><code>${unit.code}</code></dd>
    <dt>${A.level}</dt><dd>${LEVEL_LABEL[unit.level] || unit.level}</dd>
    ${path.length ? html`<dt>${A.parent}</dt><dd>${path.join(' › ')}</dd>` : null}
    <dt>${A.childrenOf(kids.length)}</dt><dd>${kids.length ? kids.map((k) => k.name).join('、') : '—'}</dd>
  </dl>
  <p><a href=${`#/users?unit=${encodeURIComponent(unit.code)}`}>${A.usersHere}</a></p>`
}

export function UnitsPage ({ app }) {
  const state = useLoad(() => loadUnits(app, true))
  const [chosen, setChosen] = useState(null)
  const roots = (state.data && state.data.roots) || []
  const { opened, toggle } = useOpened()
  const code = chosen || (roots[0] && roots[0].code)
  const entry = state.data && code ? state.data.index.get(code) : null
  const item = (u) => html`<button type="button" class="tree-item" aria-current=${u.code === code ? 'true' : undefined}
    onClick=${() => setChosen(u.code)}>${u.name} <span class="muted small-id">${LEVEL_LABEL[u.level] || u.level}</span></button>`
  return html`<section class="admin">
    <div class="page-head"><h1>${A.units}</h1></div>
    <p class="meta">${A.unitsIntro}</p>
    <${Loading} state=${state}>
      <div class="units-columns">
        <nav class="panel tree-box tall" aria-label=${A.tree}>
          <${UnitTree} roots=${roots} opened=${opened} toggle=${toggle} label=${A.tree} item=${item} /></nav>
        ${entry ? html`<section class="panel" aria-labelledby="unit-h">
          <h2 id="unit-h">${entry.unit.name}</h2>
          <${UnitMap} key=${entry.unit.code} app=${app} unit=${entry.unit} />
          <${UnitFacts} unit=${entry.unit} path=${entry.path} />
        </section>` : null}
      </div>
    <//>
  </section>`
}
