// Duplicate candidates side by side: score, the reasons in words, every property of both records
// with the differing ones marked; merge (choosing the survivor) or mark distinct, each with the
// candidate's ETag as If-Match. Unmerge is on the person page.
import { html, useState } from '../../../app/ui.js'
import { C } from '../strings.js'
import { UnitName, Outcome, RegistryQueue, personLink, propLabel, propOf, propText, useChoices } from './common.js'

export const FEATURE = { name: '姓名相近', pinyin: '姓名拼音相同', birth_date: '出生日期相同', origin: '户籍地相同', phone: '电话相同', co_residents: '同住人相同', resident_id: '身份证号相同' }

/** Property names shown for a pair: the declared order, then anything else either record has. */
export function pairRows (datasets, dataset, a, b, choices = {}) {
  const ds = datasets.find((d) => d.name === dataset)
  const declared = ds ? ds.properties.map((p) => p.name) : []
  const extra = [...Object.keys(a || {}), ...Object.keys(b || {})].filter((n) => !declared.includes(n))
  return [...declared, ...new Set(extra)].filter((n) => propText((a || {})[n]) !== '—' || propText((b || {})[n]) !== '—')
    .map((n) => {
      const prop = propOf(datasets, dataset, n)
      return { name: n, a: propText((a || {})[n], prop, choices), b: propText((b || {})[n], prop, choices) }
    })
    .map((r) => ({ ...r, differs: r.a !== r.b }))
}

function Candidate ({ app, ds, dataset, cand, onDone, choices }) {
  const [survivor, setSurvivor] = useState(cand.a.uuid)
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const rows = pairRows(ds, dataset, cand.a.properties, cand.b.properties, choices)
  const act = async (fn, msg) => {
    setBusy(true)
    setError(null)
    try { await fn(); app.toast(msg); onDone() } catch (e) { setError(e) } finally { setBusy(false) }
  }
  const name = `cand-${cand.id}-survivor`
  return html`<article class="panel candidate" aria-labelledby=${`cand-${cand.id}-h`}>
    <h2 id=${`cand-${cand.id}-h`}>${cand.a.label} / ${cand.b.label}
      <span class="score">${C.score} ${Math.round(cand.score * 100)}%</span></h2>
    <p class="reasons">${C.reasons}：${(cand.reasons || []).map((r) => html`<span class="badge">${FEATURE[r.feature] || r.feature}${r.similarity < 1 ? `（${Math.round(r.similarity * 100)}%）` : ''}</span> `)}</p>
    <table class="grid-table pair">
      <thead><tr><th scope="col">${C.property}</th>
        <th scope="col"><a href=${personLink(dataset, cand.a.uuid)}>${C.recordA}：${cand.a.label}</a><div class="muted"><${UnitName} app=${app} code=${cand.a.grid_code} /></div></th>
        <th scope="col"><a href=${personLink(dataset, cand.b.uuid)}>${C.recordB}：${cand.b.label}</a><div class="muted"><${UnitName} app=${app} code=${cand.b.grid_code} /></div></th></tr></thead>
      <tbody>${rows.map((r) => html`<tr class=${r.differs ? 'differs' : ''}>
        <th scope="row">${propLabel(ds, dataset, r.name)}${r.differs ? html` <span class="badge warn-badge">${C.differs}</span>` : null}</th>
        <td>${r.a}</td><td>${r.b}</td></tr>`)}</tbody>
    </table>
    <fieldset class="choose"><legend>${C.survivor}</legend>
      <label class="check"><input type="radio" name=${name} checked=${survivor === cand.a.uuid} onChange=${() => setSurvivor(cand.a.uuid)} /> ${C.keep(C.recordA)}（${cand.a.label}）</label>
      <label class="check"><input type="radio" name=${name} checked=${survivor === cand.b.uuid} onChange=${() => setSurvivor(cand.b.uuid)} /> ${C.keep(C.recordB)}（${cand.b.label}）</label>
    </fieldset>
    <div class="actions">
      <button type="button" class="btn primary" disabled=${busy}
        onClick=${() => act(() => app.api.merge(dataset, cand.id, cand.etag, survivor), '已合并')}>${C.merge}</button>
      <button type="button" class="btn secondary" disabled=${busy}
        onClick=${() => act(() => app.api.distinct(dataset, cand.id, cand.etag), '已标记为不同人员')}>${C.distinct}</button>
    </div>
    <${Outcome} error=${error} onReload=${onDone} />
  </article>`
}

export function DuplicatesPage ({ app }) {
  const { labels: choices, ready } = useChoices(app)
  return html`<${RegistryQueue} app=${app} title=${C.duplicates} limit=${10} ready=${ready}
    load=${(dataset, page) => app.api.duplicates(dataset, page)}
    render=${(c, { datasets, dataset, reload }) => html`<${Candidate} key=${c.etag} app=${app} ds=${datasets} dataset=${dataset} cand=${c} choices=${choices} onDone=${reload} />`} />`
}
