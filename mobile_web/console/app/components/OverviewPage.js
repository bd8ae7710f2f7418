// The leader's overview: how the city (or the leader's township) and each unit below it stand
// today: persons present, arrivals so far this period, open and overdue cases. A unit's name
// opens the same view one level down.
import { html } from '../../../app/ui.js'
import { R } from '../report_strings.js'
import { Loading, useLoad } from './common.js'

const COLUMNS = [['persons_present', R.present], ['arrivals', R.arrivalsNow], ['cases_open', R.casesOpen], ['cases_overdue', R.casesOverdue]]
export const overviewLink = (code) => `#/overview/${encodeURIComponent(code)}`

export function OverviewPage ({ app, unit }) {
  const state = useLoad(() => app.api.overview(unit ? { unit } : {}), [unit])
  const o = state.data
  return html`<section class="overview">
    <${Loading} state=${state}>
      ${o ? html`<div class="page-head"><h1>${R.overview}：${o.unit.name}</h1>
          <p class="meta">${R.asOf(o.as_of, `${o.period.start} 至 ${o.period.end}`)}</p></div>
        ${unit ? html`<p class="crumbs"><a href="#/overview">${R.up}</a></p>` : null}
        <ul class="tiles" aria-label=${o.unit.name}>
          ${COLUMNS.map(([k, label]) => html`<li class=${'tile ' + k + (k === 'cases_overdue' && o.figures[k] ? ' late' : '')}>
            <span class="tile-label">${label}</span><strong>${o.figures[k]}</strong></li>`)}
        </ul>
        <table class="grid-table overview-table">
          <caption>${o.unit.name}各下级单位</caption>
          <thead><tr><th scope="col">${R.unitCol}</th>${COLUMNS.map(([, label]) => html`<th scope="col" class="num">${label}</th>`)}</tr></thead>
          <tbody>
            ${o.children.map((c) => html`<tr>
              <th scope="row">${c.unit.level === 'grid' ? c.unit.name
                : html`<a class="row-link" href=${overviewLink(c.unit.code)} aria-label=${R.drill(c.unit.name)}>${c.unit.name}</a>`}</th>
              ${COLUMNS.map(([k]) => html`<td class=${'num' + (k === 'cases_overdue' && c.figures[k] ? ' late' : '')}>${c.figures[k]}</td>`)}
            </tr>`)}
            <tr class="total"><th scope="row">${R.total}</th>${COLUMNS.map(([k]) => html`<td class="num">${o.figures[k]}</td>`)}</tr>
          </tbody>
        </table>
        <p class="actions"><a class="btn" href="#/report">${R.openReport}</a></p>` : null}
    <//>
  </section>`
}
