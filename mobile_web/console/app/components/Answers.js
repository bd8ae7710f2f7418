// The answers tree (answers.js layout): groups as fieldsets, repeat entries numbered, each answer
// with its label and problems; photos as thumbnails that open full size.
import { html, useEffect, useState } from '../../../app/ui.js'
import { C } from '../strings.js'

function Photo ({ app, sub, name, label }) {
  const att = (sub.attachments || []).find((a) => a.name === name)
  const [thumb, setThumb] = useState(null)
  const [full, setFull] = useState(null)
  const [error, setError] = useState('')
  const urls = (att && att.urls) || {}
  useEffect(() => {
    const url = urls.thumb || urls.display || urls.original
    if (!url) return
    let made = null
    app.api.blobUrl(url).then((u) => { made = u; setThumb(u) }).catch((e) => setError(e.message))
    return () => made && URL.revokeObjectURL(made)
  }, [name])
  useEffect(() => { // Escape closes the full-size view wherever the focus is
    if (!full) return
    const onKey = (e) => { if (e.key === 'Escape') setFull(null) }
    addEventListener('keydown', onKey)
    return () => { removeEventListener('keydown', onKey); URL.revokeObjectURL(full) }
  }, [full])
  const open = async () => {
    try { setFull(await app.api.blobUrl(urls.display || urls.original)) } catch (e) { setError(e.message) }
  }
  if (!att || !att.received) return html`<span class="muted">${name}（照片尚未上传）</span>`
  return html`<span class="photo-cell">
    <button type="button" class="thumb" onClick=${open} aria-label=${`${C.fullSize}：${label}`}>
      ${thumb ? html`<img src=${thumb} alt=${C.photoOf(label)} width="160" />` : html`<span class="muted">${error || C.loading}</span>`}
    </button>
    ${full ? html`<div class="lightbox" role="dialog" aria-modal="true" aria-label=${C.photoOf(label)}>
      <img src=${full} alt=${C.photoOf(label)} />
      <button type="button" class="btn primary" ref=${(el) => el && el.focus()} onClick=${() => setFull(null)}>关闭</button>
    </div>` : null}
  </span>`
}

const qid = (path) => 'a' + path.replace(/[^A-Za-z0-9_-]/g, '_')

function Node ({ app, sub, node }) {
  if (node.kind === 'group') {
    return html`<fieldset class="a-group"><legend>${node.label}</legend>
      ${node.children.map((c) => html`<${Node} app=${app} sub=${sub} node=${c} key=${c.path} />`)}</fieldset>`
  }
  if (node.kind === 'repeat') {
    return html`<fieldset class=${'a-group a-repeat' + (node.entries.length ? '' : ' empty')}><legend>${node.label}（${node.entries.length} 组）</legend>
      ${node.entries.length === 0 ? html`<p class="muted">${C.emptyAnswer}</p>` : null}
      ${node.entries.map((e) => html`<fieldset class="a-entry" key=${e.path}><legend>${C.repeatEntry(node.label, e.index)}</legend>
        ${e.children.map((c) => html`<${Node} app=${app} sub=${sub} node=${c} key=${c.path} />`)}</fieldset>`)}</fieldset>`
  }
  const bad = node.issues.length > 0
  return html`<div class=${'a-row' + (bad ? ' has-error' : '') + (node.text ? '' : ' empty')} id=${qid(node.path)} data-path=${node.path} tabindex=${bad ? '-1' : undefined}>
    <div class="a-label">${node.label}</div>
    <div class="a-value">
      ${node.media ? html`<${Photo} app=${app} sub=${sub} name=${node.media} label=${node.label} />`
        : (node.text ? node.text : html`<span class="muted">${C.emptyAnswer}</span>`)}
      ${node.issues.map((i) => html`<div class="q-error">${i.message}</div>`)}
    </div>
  </div>`
}

export function Answers ({ app, sub, tree }) {
  const [all, setAll] = useState(false)
  return html`<div class="answers-tools"><span class="muted">未填的题目${all ? '已显示' : '已隐藏'}</span>
      <label class="check"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.target.checked)} /> ${C.showEmpty}</label></div>
    <div class=${'answers' + (all ? '' : ' hide-empty')}>${tree.map((n) => html`<${Node} app=${app} sub=${sub} node=${n} key=${n.path} />`)}</div>`
}
