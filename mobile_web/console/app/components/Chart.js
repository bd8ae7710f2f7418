// Charts, only on the pages that show one: Apache ECharts (vendored under console/vendor/) is
// imported when the first chart mounts, never by the console's main bundle. Charts draw as SVG
// (crisp when printed) without animation; each is an image whose label says what it shows, and
// the figures themselves are in a table beside it.
import { html, useEffect, useRef, useState } from '../../../app/ui.js'
import { R } from '../report_strings.js'

let echarts = null
/** ECharts, loaded once. */
export function loadECharts () {
  if (!echarts) echarts = import('../../vendor/echarts/echarts.esm.min.js').catch((e) => { echarts = null; throw e })
  return echarts
}

export const PALETTE = ['#1f5fa8', '#f0a500', '#1e6b34', '#b3261e', '#5b2a86', '#0e7c86', '#8a4b00', '#6e7781']
const FONT = { fontFamily: 'system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif' }

/** A bar chart of categories: series [{name, values}] over ``labels``. */
export function barOption (labels, series, { horizontal = false } = {}) {
  const cat = { type: 'category', data: labels, inverse: horizontal, axisLabel: { interval: 0, rotate: horizontal || labels.length < 7 ? 0 : 30 } }
  const val = { type: 'value', minInterval: 1 }
  return {
    animation: false, color: PALETTE, textStyle: FONT, tooltip: { trigger: 'axis' },
    legend: series.length > 1 ? { top: 0 } : undefined,
    grid: { left: 8, right: 16, top: series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    xAxis: horizontal ? val : cat, yAxis: horizontal ? cat : val,
    // a zero draws no bar, so it gets no number either (a row of 0s hides the bars that matter)
    series: series.map((s) => ({ type: 'bar', name: s.name, data: s.values, barMaxWidth: 28,
      label: { show: true, position: horizontal ? 'right' : 'top', formatter: (p) => (p.value ? String(p.value) : '') } }))
  }
}

/** A pie (ring) chart of [{name, value}]. */
export function pieOption (items) {
  return {
    animation: false, color: PALETTE, textStyle: FONT, tooltip: { trigger: 'item' },
    legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
    series: [{ type: 'pie', radius: ['35%', '68%'], center: ['38%', '50%'], data: items, label: { formatter: '{b}\n{c}' } }]
  }
}

/** One chart: a titled figure; ``option`` is an ECharts option (redrawn when it changes). */
export function Chart ({ title, option, empty, height }) {
  const box = useRef(null)
  const [error, setError] = useState('')
  const key = JSON.stringify(option)
  useEffect(() => {
    if (empty || !box.current) return
    let chart = null
    let live = true
    loadECharts().then((lib) => {
      if (!live || !box.current) return
      chart = lib.init(box.current, null, { renderer: 'svg' })
      chart.setOption(option)
    }).catch((e) => setError(e.message))
    const resize = () => chart && chart.resize()
    addEventListener('resize', resize)
    return () => { live = false; removeEventListener('resize', resize); if (chart) chart.dispose() }
  }, [key, empty])
  return html`<figure class="chart panel">
    <figcaption><h3>${title}</h3></figcaption>
    ${empty ? html`<p class="muted">${R.noData}</p>`
      : html`<div class="chart-box" ref=${box} role="img" aria-label=${R.chartOf(title)} style=${height ? `height:${height}px` : undefined}></div>`}
    ${error ? html`<p class="warn">${error}</p>` : null}
  </figure>`
}
