// One submission as a supervisor reviews it: the answers laid out as the form, photos, the map,
// flags in words, validation problems at their questions, an edit's changes, the review
// decision (If-Match; a stale one says so and changes nothing) and the comment thread.
import { html, useEffect, useState } from '../../../app/ui.js'
import { initialLanguage, langCode } from '../../../app/i18n.js'
import { describeChanges, diffData, layout } from '../answers.js'
import { C, explainFlag, languageName, REVIEW_LABEL, STATUS_LABEL, when } from '../strings.js'
import { Loading, personLink, submissionLink, useDatasets, useLoad } from './common.js'
import { Answers } from './Answers.js'
import { ReviewPanel, Comments } from './ReviewPanel.js'
import { SubmissionMap } from './MapView.js'

async function loadAll (app, id) {
  const { body: sub, etag } = await app.api.submission(id)
  const def = await app.api.formVersion(sub.form_id, sub.form_version)
  let changes = sub.changes
  let prev = null
  if (sub.deprecated_id) { // an edit: what the reviewer said of the version it replaced, and what changed
    prev = await app.api.submission(sub.deprecated_id).then((r) => r.body).catch(() => null)
    if (!changes && prev) changes = diffData(prev.data, sub.data)
  }
  const registry = await app.api.mergeResult(id).catch(() => null)
  return { sub, etag, def, changes, registry, prev }
}

function Flags ({ flags }) {
  const names = Object.keys(flags || {})
  if (!names.length) return null
  return html`<section class="panel flags" aria-labelledby="flags-h"><h2 id="flags-h">${C.flags}</h2>
    <ul>${names.map((n) => html`<li>${explainFlag(n, flags[n])}</li>`)}</ul></section>`
}

function Changes ({ def, changes, lang }) {
  if (!changes) return null
  const rows = describeChanges(def, changes, lang)
  return html`<section class="panel diff" aria-labelledby="diff-h"><h2 id="diff-h">${C.diff}</h2>
    ${rows.length === 0 ? html`<p class="muted">${C.noDiff}</p>` : html`<table class="grid-table">
      <thead><tr><th scope="col">${C.question}</th><th scope="col">${C.before}</th><th scope="col">${C.after}</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr><th scope="row">${r.label}</th>
        <td><del>${r.before || C.emptyAnswer}</del></td><td><ins>${r.after || C.emptyAnswer}</ins></td></tr>`)}</tbody></table>`}
  </section>`
}

function Registry ({ app, registry }) {
  const { datasets } = useDatasets(app)
  const named = (n) => (datasets.find((d) => d.name === n) || {}).label_zh || n
  const blocks = (registry && registry.blocks) || []
  if (!blocks.length) return null
  const OUT = { created: '新建', updated: '更新', deduplicated: '识别为已有人员', skipped: '未写入' }
  return html`<section class="panel" aria-labelledby="reg-h"><h2 id="reg-h">入库结果</h2><ul class="plain">
    ${blocks.map((b) => html`<li>${named(b.dataset)}：${OUT[b.outcome] || b.outcome}
      ${b.entity_uuid ? html` <a href=${personLink(b.dataset, b.entity_uuid)}>查看登记信息</a>` : null}</li>`)}
  </ul></section>`
}

/** The newest version of an edit chain (the one no other version replaces). */
export function latestVersion (versions) {
  const replaced = new Set((versions || []).map((v) => v.deprecated_id).filter(Boolean))
  const open = (versions || []).filter((v) => !replaced.has(v.instance_id))
  return open.length ? open[open.length - 1].instance_id : null
}

/** Every answer with a problem, in form order. */
function withIssues (nodes, out = []) {
  for (const n of nodes) {
    if (n.kind === 'answer' && n.issues.length) out.push(n)
    else if (n.kind === 'group') withIssues(n.children, out)
    else if (n.kind === 'repeat') n.entries.forEach((e) => withIssues(e.children, out))
  }
  return out
}

/** The problems at the top, each a button to its question (long forms). */
function Problems ({ placed, unplaced }) {
  if (!placed.length && !unplaced.length) return null
  const go = (path) => {
    const el = document.getElementById('a' + path.replace(/[^A-Za-z0-9_-]/g, '_'))
    if (el) { el.scrollIntoView({ block: 'center' }); el.focus() }
  }
  return html`<section class="panel problems" aria-labelledby="prob-h"><h2 id="prob-h">${C.problems}（${placed.length + unplaced.length}）</h2>
    <ul>${placed.map((a) => a.issues.map((i) => html`<li><button type="button" class="link" onClick=${() => go(a.path)}>${a.label}</button>：${i.message}</li>`))}
      ${unplaced.map((i) => html`<li>${i.message}</li>`)}</ul></section>`
}

export function SubmissionPage ({ app, id }) {
  const state = useLoad(() => loadAll(app, id), [id])
  const [lang, setLang] = useState(null)
  const d = state.data
  useEffect(() => { if (d && !lang) setLang(initialLanguage(d.def)) }, [d])
  if (!d) return html`<section><p><a href="#/queue">← ${C.back}</a></p><${Loading} state=${state} /></section>`
  const { sub, def } = d
  const chosen = lang || initialLanguage(def)
  const laid = layout(def, sub.data, chosen, sub.errors)
  const title = typeof def.title === 'object' ? (def.title[chosen] || Object.values(def.title)[0]) : def.title
  const langs = def.languages || []
  const latest = latestVersion(sub.versions)
  return html`<section class="submission">
    <p class="crumbs"><a href="#/queue">← ${C.back}</a></p>
    <div class="sub-head">
      <div>
        <h1>${title || sub.form_id}</h1>
        <p class="meta">
          <span>网格员：${sub.submitter_name || sub.submitter}</span> · <span>提交于 ${when(sub.received_at)}</span> · <span>${C.grid}：${sub.grid_name || sub.grid || '—'}</span>
          · <span class=${'badge st-' + sub.status}>${STATUS_LABEL[sub.status] || sub.status}</span>
          <span class=${'badge rv-' + sub.review_state}>${REVIEW_LABEL[sub.review_state] || sub.review_state}</span>
        </p>
        ${sub.deprecated_id ? html`<p class="meta">${C.editOf(d.prev ? when(d.prev.received_at) : '')}
          <a href=${submissionLink(sub.deprecated_id)}>${C.openPrevious}</a></p>` : null}
        ${d.prev && d.prev.review_comment ? html`<p class="info">${C.previousComment(REVIEW_LABEL[d.prev.review_state] || '', d.prev.review_comment)}</p>` : null}
      </div>
      ${langs.length > 1 ? html`<div class="field lang"><label for="sub-lang">${C.language}</label>
        <select id="sub-lang" value=${chosen} onChange=${(e) => setLang(e.target.value)}>
          ${langs.map((l) => html`<option value=${l} selected=${l === chosen}>${languageName(l)}</option>`)}</select></div>` : null}
    </div>
    <div class="columns">
      <div class="main-col" dir=${['ug', 'ar'].includes(langCode(chosen)) ? 'rtl' : undefined}>
        <${Flags} flags=${sub.flags} />
        <${Problems} placed=${withIssues(laid.tree)} unplaced=${laid.unplaced} />
        <${Changes} def=${def} changes=${d.changes} lang=${chosen} />
        <section class="panel" aria-labelledby="ans-h"><h2 id="ans-h">${C.answers}</h2>
          <${Answers} app=${app} sub=${sub} tree=${laid.tree} /></section>
      </div>
      <aside class="side-col">
        ${latest && latest !== sub.instance_id
          ? html`<section class="panel review"><h2>${C.review}</h2><p class="info">${C.superseded}
              <a href=${submissionLink(latest)}>${C.openLatest}</a></p></section>`
          : html`<${ReviewPanel} app=${app} sub=${sub} etag=${d.etag} onDone=${state.reload} />`}
        <section class="panel" aria-labelledby="map-h"><h2 id="map-h">${C.map}</h2>
          <${SubmissionMap} app=${app} sub=${sub} /></section>
        <${Registry} app=${app} registry=${d.registry} />
        <${Comments} app=${app} id=${sub.instance_id} key=${d.etag} />
      </aside>
    </div>
  </section>`
}
