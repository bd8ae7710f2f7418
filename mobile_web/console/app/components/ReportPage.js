// The monthly report: choose a period and a unit; the stored report's figures for the unit and
// each child unit in a table, charts of them (ECharts, loaded with this page only), a map of the
// child units shaded by a chosen figure, and the same report as an Excel workbook. Admins may
// count a period that has no report yet (or again: a new revision).
import { html, useEffect, useState } from '../../../app/ui.js'
import { C, when } from '../strings.js'
import { FIGURES, R } from '../report_strings.js'
import { errorText, Loading, Select, useChoices, useLoad } from './common.js'
import { flatUnits } from './QueuePage.js'
import { Chart, barOption, pieOption } from './Chart.js'
import { MapBox } from './MapView.js'
import { useCodes } from './CasesPage.js'

export const SHADES = ['#eef4fb', '#c6dbef', '#8fb8dd', '#4f8fca', '#1f5fa8', '#123d70']

/** 'YYYY-MM' one month earlier. */
export function previousPeriod (name) {
  const [y, m] = name.split('-').map(Number)
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/** The shading class (0..SHADES-1) of a value: 0 for none, then even steps from 1 (lightest) to the largest (darkest). */
export function shadeOf (value, max) {
  const top = SHADES.length - 1
  if (!value || !max) return 0
  if (max === 1) return top
  return 1 + Math.round(((top - 1) * (Math.min(value, max) - 1)) / (max - 1))
}

/** The legend of the shading: [colour, words] for each class the figure's values can fall in. */
export function legendSteps (max) {
  const out = [[SHADES[0], '0']]
  for (let i = 1; i < SHADES.length; i++) {
    let low = max > 1 ? Math.max(1, Math.ceil(1 + ((i - 1.5) * (max - 1)) / (SHADES.length - 2))) : 1
    while (low > 1 && shadeOf(low - 1, max) >= i) low--
    while (low <= max && shadeOf(low, max) < i) low++
    if (low <= max && shadeOf(low, max) === i) out.push([SHADES[i], `≥ ${low}`])
  }
  return out
}

function FiguresTable ({ report }) {
  const rows = [[R.total, report.unit.code, report.figures], ...report.children.map((c) => [c.unit.name, c.unit.code, c.figures])]
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${R.figures}><table class="grid-table figures">
    <caption class="visually-hidden">${R.figures}</caption>
    <thead><tr><th scope="col">${R.unitCol}</th>${FIGURES.map(([, label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
    <tbody>${rows.map(([name, code, f], i) => html`<tr class=${i === 0 ? 'total' : ''}><th scope="row" title=${code}>${i === 0 ? `${report.unit.name}（${name}）` : name}</th>
      ${FIGURES.map(([k]) => html`<td>${f[k] ?? 0}</td>`)}</tr>`)}</tbody></table></div>`
}

function Charts ({ report, ethnicity, kindLabel, deptLabel }) {
  const kids = report.children
  const names = kids.map((c) => c.unit.name)
  const series = [['persons_present', '在住人数'], ['arrivals', '流入'], ['departures', '流出']]
    .map(([k, name]) => ({ name, values: kids.map((c) => c.figures[k] || 0) }))
  const eth = Object.entries(report.figures.persons_present_by_ethnicity || {}).sort((a, b) => b[1] - a[1])
    .map(([code, n]) => ({ name: ethnicity[code] || code, value: n }))
  const byKind = Object.entries(report.figures.cases_new_by_kind || {})
  const byDept = Object.entries(report.figures.cases_new_by_department || {})
  return html`<div class="charts">
    <${Chart} title=${R.byUnit} empty=${!kids.length} option=${barOption(names, series, { horizontal: names.length > 8 })}
      height=${names.length > 8 ? 60 + 26 * names.length : null} />
    <${Chart} title=${R.byEthnicity} empty=${!eth.length} option=${pieOption(eth)} />
    <${Chart} title=${R.casesByKind} empty=${!byKind.length}
      option=${barOption(byKind.map(([k]) => kindLabel(k)), [{ name: '新增事项', values: byKind.map(([, n]) => n) }], { horizontal: true })} />
    <${Chart} title=${R.casesByDept} empty=${!byDept.length}
      option=${barOption(byDept.map(([k]) => deptLabel(k)), [{ name: '新增事项', values: byDept.map(([, n]) => n) }], { horizontal: true })} />
  </div>`
}

function ShadedMap ({ app, report }) {
  const [figure, setFigure] = useState('persons_present')
  const [shapes, setShapes] = useState(null)
  const codes = report.children.map((c) => c.unit.code).join(',')
  useEffect(() => {
    let live = true
    Promise.all(report.children.map((c) => app.api.unit(c.unit.code).then((u) => [c.unit.code, u.boundary]).catch(() => [c.unit.code, null])))
      .then((pairs) => live && setShapes(Object.fromEntries(pairs)))
    return () => { live = false }
  }, [codes])
  const label = (FIGURES.find(([k]) => k === figure) || [])[1]
  const max = Math.max(0, ...report.children.map((c) => c.figures[figure] || 0))
  const [layers, setLayers] = useState(null)
  useEffect(() => {
    if (!shapes) return
    setLayers(report.children.filter((c) => shapes[c.unit.code]).map((c) => ({
      kind: 'area', geometry: shapes[c.unit.code], name: null,
      style: { color: '#1f3f6b', weight: 1, fillColor: SHADES[shadeOf(c.figures[figure] || 0, max)], fillOpacity: 0.8 }
    })))
  }, [shapes, figure, report.revision, report.unit.code])
  if (!report.children.length) return html`<p class="muted">${R.noChildren}</p>`
  const steps = legendSteps(max)
  return html`<div class="shaded">
    <${Select} id="r-shade" label=${R.shadeBy} value=${figure} onChange=${setFigure} options=${FIGURES} />
    ${layers ? html`<${MapBox} app=${app} layers=${layers} legend=${[]} label=${R.mapOf(label, report.unit.name)} />` : html`<p class="muted">${C.loading}</p>`}
    <ul class="legend shades" aria-label=${`${label}：${R.legendLow}→${R.legendHigh}`}>
      ${steps.map(([color, text]) => html`<li><span class="swatch" style=${`background:${color}`}></span>${text}</li>`)}</ul>
    <table class="grid-table map-values"><caption class="visually-hidden">${R.map}</caption><tbody>
      ${report.children.map((c) => html`<tr><th scope="row"><span class="swatch" style=${`background:${SHADES[shadeOf(c.figures[figure] || 0, max)]}`}></span>${c.unit.name}</th><td>${c.figures[figure] || 0}</td></tr>`)}
    </tbody></table>
  </div>`
}

async function download (app, path, name) {
  const url = await app.api.blobUrl(path)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}

export function ReportPage ({ app }) {
  const me = app.me || {}
  const { kindLabel, deptLabel } = useCodes(app)
  const { labels } = useChoices(app)
  const units = useLoad(() => app.api.units().catch(() => []))
  const running = useLoad(() => app.api.overview().then((o) => o.period.name).catch(() => null))
  const [period, setPeriod] = useState('')
  const [unit, setUnit] = useState('')
  const [asked, setAsked] = useState(null)
  const [error, setError] = useState(null)
  useEffect(() => { // the last period that has ended, once the running one is known (unless one was typed already)
    if (running.data && !asked && !period) { const p = previousPeriod(running.data); setPeriod(p); setAsked({ period: p, unit: '' }) }
  }, [running.data])
  const report = useLoad(() => (asked ? app.api.report(asked.period, asked.unit ? { unit: asked.unit } : {}) : Promise.resolve(null)), [JSON.stringify(asked)])
  const params = asked && asked.unit ? { unit: asked.unit } : {}
  const run = async () => {
    setError(null)
    try { await app.api.runReport(asked.period, params); app.toast(R.ran); report.reload() } catch (e) { setError(e) }
  }
  const xlsx = () => download(app, app.api.reportXlsxPath(asked.period, params), `月度报表-${asked.period}.xlsx`).catch(setError)
  const r = report.data
  const notRun = report.error && report.error.status === 404 && report.error.code === 'report.not_run'
  return html`<section class="report">
    <h1>${R.report}</h1>
    <form class="filters" aria-label=${C.filters} onSubmit=${(e) => { e.preventDefault(); setAsked({ period, unit }) }}>
      <div class="field"><label for="r-period">${R.period}</label>
        <input id="r-period" type="month" required value=${period} onInput=${(e) => setPeriod(e.target.value)} /></div>
      <${Select} id="r-unit" label=${R.unit} value=${unit} onChange=${setUnit} options=${[['', R.ownUnit], ...flatUnits(units.data)]} />
      <div class="field buttons"><button type="submit" class="btn primary">${R.show}</button></div>
    </form>
    ${notRun ? html`<p class="info" role="status">${R.notRun}${me.role === 'admin' ? html` <button type="button" class="btn small" onClick=${run}>${R.runNow}</button>` : null}</p>` : null}
    <${Loading} state=${notRun ? { data: true } : (asked ? report : running)}>
      ${r ? html`<div class="page-head report-head">
          <h2>${r.unit.name} · ${r.period} <span class="badge">${R.revision(r.revision)}</span>
            ${r.provisional ? html` <span class="badge flag">${R.provisional}</span>` : null}</h2>
          <p class="meta">${R.range(r.start, r.end)} · ${R.generated} ${when(r.generated_at)}</p>
          <div class="actions">
            <button type="button" class="btn" onClick=${xlsx}>${R.xlsx}</button>
            ${me.role === 'admin' ? html`<button type="button" class="btn secondary" onClick=${run}>${R.runNow}</button>` : null}
          </div>
        </div>
        <section class="panel" aria-labelledby="r-fig-h"><h2 id="r-fig-h">${R.figures}</h2><${FiguresTable} report=${r} /></section>
        <section aria-labelledby="r-ch-h"><h2 id="r-ch-h">${R.charts}</h2>
          <${Charts} report=${r} ethnicity=${labels.ethnicity || {}} kindLabel=${kindLabel} deptLabel=${deptLabel} /></section>
        <section class="panel" aria-labelledby="r-map-h"><h2 id="r-map-h">${R.map}</h2><${ShadedMap} app=${app} report=${r} /></section>` : null}
    <//>
    <p class="q-error" role="alert">${error ? errorText(error) : ''}</p>
  </section>`
}
