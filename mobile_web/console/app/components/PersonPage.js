// A person (or any registry record): current values masked as the API masks them, a timeline of
// versions and registry events with the submissions behind them, open follow-ups, and unmerge
// for a merge this record took part in. PeoplePage finds a record by name.
import { html, useState } from '../../../app/ui.js'
import { C, ENTITY_STATUS, eventLabel, when } from '../strings.js'
import { errorText, Loading, UnitName, Outcome, personLink, propLabel, propOf, propText, submissionLink, useChoices, useDatasets, useLoad } from './common.js'

/** Events in order, each with the version it made (source, changed properties). */
export function timeline (detail) {
  const versions = new Map((detail.versions || []).map((v) => [v.version, v]))
  return (detail.events || []).map((e) => ({ ...e, v: versions.get(e.version) || null }))
}

/** A merge can be undone from a live record's page while no unmerge of that candidate followed it. */
export function canUnmerge (events, e, record) {
  const id = e.kind === 'merged' && e.detail && e.detail.candidate
  if (!id || record.status === 'merged') return false
  const later = events.filter((x) => x.detail && x.detail.candidate === id && x.cursor > e.cursor)
  return !later.some((x) => x.kind === 'unmerged' || x.kind === 'merged')
}

/** Datasets whose records follow records of `dataset` (e.g. follow-ups of a person). */
const followers = (datasets, dataset) => datasets.filter((d) => (d.properties || [])
  .some((p) => p.type === 'entity' && p.dataset === dataset) && d.placement && d.placement.follows)

function FollowUps ({ app, datasets, dataset, uuid }) {
  const sets = followers(datasets, dataset)
  const state = useLoad(() => Promise.all(sets.map((d) => app.api.search(d.name, { follows: uuid, limit: 50 })
    .then((page) => page.items.map((i) => ({ ...i, dataset: d.name }))))).then((all) => all.flat()
    .filter((i) => !i.properties || i.properties.status === undefined || i.properties.status === 'open')), [uuid, sets.length])
  return html`<section class="panel" aria-labelledby="fu-h"><h2 id="fu-h">${C.followups}</h2>
    <${Loading} state=${state}>
      ${(state.data || []).length === 0 ? html`<p class="muted">${C.noFollowups}</p>` : html`<ul class="plain">
        ${state.data.map((f) => html`<li><a href=${personLink(f.dataset, f.uuid)}>${f.label}</a>
          <span class="muted">${f.properties.due_date ? '办理时限 ' + f.properties.due_date : ''} ${f.grid_code || ''}</span></li>`)}</ul>`}
    <//></section>`
}

function Unmerge ({ app, dataset, candidateId, onDone }) {
  const [error, setError] = useState(null)
  const run = async () => {
    if (!confirm(C.confirmUnmerge)) return
    setError(null)
    try {
      const { etag } = await app.api.candidate(dataset, candidateId)
      await app.api.unmerge(dataset, candidateId, etag)
      app.toast('已撤销合并')
      onDone()
    } catch (e) { setError(e) }
  }
  return html`<span><button type="button" class="btn small" onClick=${run}>${C.unmerge}</button>
    <${Outcome} error=${error} onReload=${onDone} /></span>`
}

export function PersonPage ({ app, dataset, uuid }) {
  const { datasets } = useDatasets(app)
  const { labels: choices, ready } = useChoices(app)
  const state = useLoad(() => app.api.entity(dataset, uuid).then((r) => r.body), [dataset, uuid])
  const d = state.data
  if (!d || !ready) return html`<section><${Loading} state=${d ? { loading: true } : state} /></section>`
  const tl = timeline(d)
  const ds = datasets.find((x) => x.name === dataset)
  const order = ds ? ds.properties.map((p) => p.name) : []
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length)
  const props = Object.entries(d.properties || {}).filter(([, v]) => propText(v) !== '—').sort((a, b) => rank(a[0]) - rank(b[0]))
  return html`<section class="person">
    <div class="page-head"><h1>${d.label} <span class="badge">${ENTITY_STATUS[d.status] || d.status}</span></h1>
      <p class="meta">${ds ? ds.label_zh : dataset} · ${C.grid}：<${UnitName} app=${app} code=${d.grid_code} /> · ${C.version(d.version)}</p></div>
    ${d.merged_into ? html`<p class="info">${C.mergedInto}<a href=${personLink(dataset, d.merged_into)}>${C.openSurvivor}</a></p>` : null}
    ${d.merged_from && d.merged_from.length ? html`<p class="info">${C.mergedFrom}${d.merged_from.map((u, i) => html`<a href=${personLink(dataset, u)}>${C.mergedRecord(i + 1)}</a> `)}</p>` : null}
    ${d.conflict ? html`<p class="warn">该记录有待处理的冲突，请到“${C.conflicts}”处理。</p>` : null}
    <div class="columns">
      <div class="main-col">
        <section class="panel" aria-labelledby="cur-h"><h2 id="cur-h">${C.currentValues}</h2>
          <table class="grid-table kv"><tbody>${props.map(([k, v]) => html`<tr><th scope="row">${propLabel(datasets, dataset, k)}</th><td>${propText(v, propOf(datasets, dataset, k), choices)}</td></tr>`)}</tbody></table>
        </section>
        <section class="panel" aria-labelledby="tl-h"><h2 id="tl-h">${C.timeline}</h2>
          <ol class="timeline">${tl.slice().reverse().map((e) => html`<li class=${'ev ' + e.kind}>
            <div class="ev-head"><strong>${eventLabel(e.kind, e.v && e.v.changed)}</strong>
              <span class="muted">${e.event_date || when(e.at)}</span>
              ${e.version ? html`<span class="muted">${C.version(e.version)}</span>` : null}
              ${e.v ? html`<span class="muted">${C.by[e.v.source_type] || e.v.source_type}</span>` : null}</div>
            ${e.previous_unit_path && e.previous_unit_path !== e.unit_path ? html`<div>网格：<${UnitName} app=${app} code=${e.previous_unit_path.split('/').pop()} /> → <${UnitName} app=${app} code=${(e.unit_path || '').split('/').pop()} /></div>` : null}
            ${e.kind !== 'created' && e.v && e.v.changed && e.v.changed.length ? html`<div class="changed">修改：${e.v.changed.map((n) => propLabel(datasets, dataset, n)).join('、')}</div>` : null}
            ${e.source_type === 'submission' && e.source_id ? html`<div><a href=${submissionLink(e.source_id)}>${C.submissionsBehind}：查看提交</a></div>` : null}
            ${canUnmerge(tl, e, d) ? html`<${Unmerge} app=${app} dataset=${dataset} candidateId=${e.detail.candidate} onDone=${state.reload} />` : null}
          </li>`)}</ol>
        </section>
      </div>
      <aside class="side-col">
        <${FollowUps} app=${app} datasets=${datasets} dataset=${dataset} uuid=${uuid} />
        <section class="panel" aria-labelledby="subs-h"><h2 id="subs-h">${C.submissionsBehind}</h2>
          <ul class="plain">${(d.submissions || []).slice().reverse().map((s) => html`<li>
            <a href=${submissionLink(s.instance_id)}>${C.version(s.version)} · ${when(s.at)}</a></li>`)}</ul>
        </section>
      </aside>
    </div>
  </section>`
}

let lastQuery = ''
export function PeoplePage ({ app }) {
  const { datasets, dataset } = useDatasets(app)
  const [q, setQ] = useState(lastQuery)
  const [asked, setAsked] = useState(lastQuery)
  const [error, setError] = useState('')
  const state = useLoad(() => (asked ? app.api.search(dataset, { q: asked, limit: 50 }) : Promise.resolve({ items: [] })), [asked, dataset])
  const submit = (e) => { e.preventDefault(); lastQuery = q.trim(); setAsked(q.trim()); setError('') }
  const items = (state.data && state.data.items) || []
  return html`<section><h1>${C.people}</h1>
    <form class="filters" role="search" onSubmit=${submit}>
      <div class="field"><label for="p-q">${C.searchName}</label><input id="p-q" value=${q} onInput=${(e) => setQ(e.target.value)} /></div>
      <div class="field buttons"><button type="submit" class="btn primary">${C.search}</button></div>
    </form>
    <p class="q-error" role="alert">${error || (state.error ? errorText(state.error) : '')}</p>
    ${asked && !state.loading && items.length === 0 ? html`<p class="muted">${C.noItems}</p>` : null}
    ${items.length ? html`<table class="grid-table"><thead><tr><th scope="col">${C.person}</th><th scope="col">${C.grid}</th><th scope="col">状态</th><th scope="col">更新时间</th></tr></thead>
      <tbody>${items.map((i) => html`<tr><td><a class="row-link" href=${personLink(dataset, i.uuid)}>${i.label}</a></td>
        <td><${UnitName} app=${app} code=${i.grid_code} /></td><td>${ENTITY_STATUS[i.status] || i.status}</td><td>${when(i.updated_at)}</td></tr>`)}</tbody></table>` : null}
    ${datasets.length ? null : null}
  </section>`
}
