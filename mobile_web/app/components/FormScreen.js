// Filling one form: pages, navigation with per-page checks, drafts saved while typing, and
// finishing into the outbox. New records get a fresh instanceID; drafts and returned items
// reopen with their saved answers and photos; a correction of a submission a supervisor
// returned shows the reviewer's comment on top.
import { html, useState, useEffect, useLayoutEffect, useRef, useMemo } from '../ui.js'
import { T, pick, initialLanguage, isRtl, shortTime } from '../i18n.js'
import { FormModel } from '../forms/model.js'
import { buildSubmission, stampNow } from '../forms/submission.js'
import { uuid4, evaluate, toString } from '../forms/expr.js'
import { datasetOf } from '../entities.js'
import { Fields, mountOrder } from './GroupView.js'
import { LanguageSwitch } from './LanguageSwitch.js'
import { idFor } from './FieldFrame.js'

const DRAFT_DELAY_MS = 800
// A long page mounts in steps so its first screen shows early: FIRST_MOUNT questions (more
// if they do not fill the screen) before the first paint, then MOUNT_STEP more per frame,
// a step small enough to stay under 50 ms on a 4x-throttled phone (benchmarks/render.py),
// so a tap never waits long. Checks never depend on it: the model validates every page.
const FIRST_MOUNT = 8
const MOUNT_STEP = 12

export function FormScreen ({ app, formId, instanceID }) {
  const [loaded, setLoaded] = useState(() => { // a new record of a form the list has read: no wait
    const def = instanceID ? null : app.forms.cached(formId)
    return def && !externalNames(def).size ? { def, item: null, external: {} } : null
  }) // {def, item, external}
  const [problem, setProblem] = useState('')
  useEffect(() => {
    if (loaded) return
    let live = true
    ;(async () => {
      const item = instanceID ? await app.outbox.get(instanceID) : null
      const def = await app.forms.definition(formId, item && item.formVersion)
      const external = def ? await externalLists(app, def) : {}
      if (live) setLoaded({ def, item, external })
    })().catch((e) => live && setProblem(T.loadFailed + e.message))
    return () => { live = false }
  }, [formId, instanceID])
  if (problem) return html`<p class="warn" role="alert">${problem}</p>`
  if (!loaded) return html`<p aria-live="polite">…</p>`
  if (!loaded.def) return html`<p class="warn" role="alert">${T.formNotCached}</p>`
  return html`<${Filler} app=${app} def=${loaded.def} item=${loaded.item} external=${loaded.external} key=${instanceID || 'new'} />`
}

/** The form's select_one_from_file entity lists ('persons.csv'). */
function externalNames (def) {
  const names = new Set()
  const visit = (fields) => fields.forEach((f) => {
    if (/_from_file$/.test(f.type) && /\.csv$/i.test(f.list_name || '')) names.add(f.list_name)
    visit(f.children || [])
  })
  visit(def.fields || [])
  return names
}

/** Rows of the form's select_one_from_file entity lists: synced when online, else cached. */
async function externalLists (app, def) {
  const out = {}
  for (const name of externalNames(def)) {
    if (navigator.onLine !== false) {
      await Promise.race([app.entities.sync(datasetOf(name)), new Promise((resolve) => setTimeout(resolve, 8000))]).catch(() => {})
    }
    out[name] = await app.entities.rows(name)
  }
  return out
}

function Filler ({ app, def, item, external }) {
  const id = useMemo(() => (item && item.instanceID) || uuid4(), [])
  const model = useMemo(() => new FormModel(def, {
    data: item && item.data, instanceID: id, deviceId: app.session.deviceId, username: app.session.username, external
  }), [])
  const startedAt = useMemo(() => (item && item.meta && item.meta.start) || stampNow(model), [])
  const files = useRef(Object.assign({}, (item && item.files) || {}))
  const [lang, setLang] = useState((item && item.lang) || initialLanguage(def))
  const [pageNo, setPageNo] = useState(0)
  const [tick, setTick] = useState(0)
  const [notice, setNotice] = useState('')
  const timer = useRef(null)
  const rerender = () => setTick((t) => t + 1)
  const tr = (texts) => pick(texts, lang, def.default_language)
  const text = (texts, path) => tr(texts).replace(/\$\{([^}\s]+)\}/g, (_, name) => {
    try { return toString(evaluate('${' + name + '}', model.context().at(path))) } catch (e) { return '' }
  })
  const title = tr(def.title) || def.form_id

  const record = (extra = {}) => Object.assign({
    instanceID: id, formId: def.form_id, formVersion: def.version, title,
    label: model.data.meta && model.data.meta.instanceName ? model.data.meta.instanceName : '',
    data: model.data, files: files.current, lang, meta: { start: startedAt }
  }, extra)
  const saveSoon = () => {
    clearTimeout(timer.current)
    timer.current = setTimeout(() => app.outbox.saveDraft(record()).catch(() => {}), DRAFT_DELAY_MS)
  }
  useEffect(() => () => clearTimeout(timer.current), [])

  const pages = model.pages()
  const visible = pages.map((p, i) => i).filter((i) => model.pageRelevant(pages[i]))
  const at = Math.max(0, visible.indexOf(pageNo) >= 0 ? visible.indexOf(pageNo) : 0)
  const current = visible[at]
  const fields = pages[current] || []

  // Progressive mounting of the page: how many of its questions are in the DOM.
  const [mount, setMount] = useState({ page: null, count: 0 })
  const fieldsBox = useRef(null)
  const marks = useRef({})
  const order = mountOrder(model, fields, '/' + model.root)
  const count = mount.page === current ? mount.count : FIRST_MOUNT
  const allMounted = count >= order.total
  const mountMore = () => setMount((m) => (m.page === current ? m.count : FIRST_MOUNT) === count
    ? { page: current, count: count + MOUNT_STEP } : m) // once per render, however often effects run
  const mountAll = (page) => setMount({ page, count: Infinity })
  const screenFull = () => allMounted || (fieldsBox.current && fieldsBox.current.getBoundingClientRect().bottom > innerHeight)
  const mark = (name) => {
    if (marks.current[name] || typeof performance === 'undefined' || !performance.mark) return
    marks.current[name] = true
    performance.mark(name, { detail: { mounted: fieldsBox.current.querySelectorAll('.q').length } })
  }
  useLayoutEffect(() => { if (!screenFull()) mountMore() }) // before paint: fill the first screen
  useEffect(() => { // after paint; read by benchmarks/render.py
    if (screenFull()) mark('gridreg:form-interactive') // the first screen is painted and takes input
    if (allMounted) mark('gridreg:form-complete') // every question of the page is in the DOM
    else mountMore()
  })

  const ctx = {
    model, tr, text, files: files.current, version: tick + '/' + lang,
    mounted: (path) => allMounted || !order.before.has(path) || order.before.get(path) < count,
    allMounted,
    setValue: (path, v) => { model.set(path, v); rerender(); saveSoon() },
    setFile: (name, blob, old) => {
      if (old) delete files.current[old]
      if (name) files.current[name] = blob
      saveSoon()
    },
    addRepeat: (field, path) => { model.addRepeat(field, path); rerender(); saveSoon() },
    removeRepeat: (path, i) => { model.removeRepeat(path, i); rerender(); saveSoon() }
  }

  // The one check before leaving pages: the first of them with a problem is shown, its
  // questions all mounted, and the first wrong answer takes the focus. True when one had.
  const stopAtErrors = (pageIndexes) => {
    for (const i of pageIndexes) {
      const errors = model.validate(pages[i])
      const count = Object.keys(errors).length
      if (!count) continue
      setPageNo(i)
      setNotice(T.fixErrors(count))
      rerender()
      mountAll(i) // the first error may be further down than mounted so far
      const first = Object.keys(errors)[0]
      setTimeout(() => { const el = document.getElementById(idFor(first)); if (el) el.focus() }, 0)
      return true
    }
    return false
  }
  const go = (delta) => {
    if (delta > 0 && stopAtErrors([current])) return
    setNotice('')
    setPageNo(visible[Math.min(visible.length - 1, Math.max(0, at + delta))])
    window.scrollTo(0, 0)
  }
  const saveDraft = async () => {
    clearTimeout(timer.current)
    await app.outbox.saveDraft(record())
    setNotice(T.saved)
  }
  const finish = async () => {
    clearTimeout(timer.current)
    if (stopAtErrors(visible)) return
    const { data, files: kept, meta } = buildSubmission(model, {
      files: files.current, external, deviceId: app.session.deviceId, start: startedAt
    })
    await app.outbox.saveDraft(record({ data, files: kept, meta }))
    await app.outbox.enqueue(id)
    app.flush(true)
    app.toast(T.queuedOk)
    location.hash = '#/outbox'
  }
  const last = at === visible.length - 1
  return html`<form class="filler" dir=${isRtl(lang) ? 'rtl' : 'ltr'} lang=${lang} onSubmit=${(e) => { e.preventDefault(); last ? finish() : go(1) }} novalidate>
    <div class="form-head">
      <h1>${title}</h1>
      <${LanguageSwitch} languages=${def.languages} value=${lang} onChange=${(l) => { setLang(l); saveSoon() }} />
    </div>
    <${ReviewNote} review=${item && item.review} />
    <p class="progress">${T.page(at + 1, visible.length)}</p>
    <div class="notice" role="status" aria-live="polite">${notice}</div>
    <div class="fields" ref=${fieldsBox} data-mounted=${allMounted ? 'all' : 'part'}>
      <${Fields} fields=${fields} parentPath=${'/' + model.root} ctx=${ctx} />
    </div>
    <div class="nav">
      <button type="button" class="btn secondary" disabled=${at === 0} onClick=${() => go(-1)}>${T.prev}</button>
      <button type="button" class="btn secondary" onClick=${saveDraft}>${T.saveDraft}</button>
      ${last ? html`<button type="submit" class="btn primary">${T.finish}</button>`
        : html`<button type="submit" class="btn primary">${T.next}</button>`}
    </div>
  </form>`
}

/** The reviewer's comment on a returned submission being corrected. */
function ReviewNote ({ review }) {
  if (!review || !review.comment) return null
  const when = shortTime(review.commentAt)
  return html`<aside class="review-note" aria-labelledby="review-note-h">
    <h2 id="review-note-h">${T.reviewComment}</h2>
    <p class="review-comment">${review.comment}</p>
    ${when || review.commentBy ? html`<p class="card-sub">${[review.commentBy ? T.reviewBy(review.commentBy) : '',
      when ? T.returnedAt(when) : ''].filter(Boolean).join(' · ')}</p>` : null}
    ${review.fromServer ? html`<p class="hint">${T.maskedCleared}</p>` : null}
  </aside>`
}
