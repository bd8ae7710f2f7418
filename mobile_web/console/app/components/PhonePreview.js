// A draft as the phone shows it: the phone client's question components (GroupView/Question)
// over the shared FormModel, in a phone-sized frame styled by the phone's own stylesheet. The
// designer test-fills it: relevance, constraints and calculations run as on the phone; nothing
// is saved or sent.
import { html, useEffect, useMemo, useRef, useState } from '../../../app/ui.js'
import { T, pick, initialLanguage, isRtl } from '../../../app/i18n.js'
import { FormModel } from '../../../app/forms/model.js'
import { evaluate, toString } from '../../../app/forms/expr.js'
import { Fields } from '../../../app/components/GroupView.js'
import { LanguageSwitch } from '../../../app/components/LanguageSwitch.js'
import { idFor } from '../../../app/components/FieldFrame.js'
import { D } from '../designer_strings.js'
import { flatten } from '../form_diff.js'

let phoneCss = null
/** The phone client's stylesheet, applied only inside the preview frame (@scope). */
function usePhoneStyles () {
  useEffect(() => {
    if (phoneCss) return
    phoneCss = fetch('/m/styles.css').then((r) => (r.ok ? r.text() : '')).then((text) => {
      const style = document.createElement('style')
      style.dataset.phone = ''
      style.textContent = `@scope (.phone-screen) {\n${text}\n}`
      document.head.appendChild(style)
    }).catch(() => { phoneCss = null })
  }, [])
}

export function PhonePreview ({ def }) {
  usePhoneStyles()
  const [round, setRound] = useState(0)
  const model = useMemo(() => new FormModel(def, { instanceID: 'preview', deviceId: 'preview', username: 'preview', external: {} }), [def, round])
  const [lang, setLang] = useState(initialLanguage(def))
  const [pageNo, setPageNo] = useState(0)
  const [tick, setTick] = useState(0)
  const [notice, setNotice] = useState('')
  const screen = useRef(null)
  const rerender = () => setTick((t) => t + 1)
  const tr = (texts) => pick(texts, lang, def.default_language)
  const text = (texts, path) => tr(texts).replace(/\$\{([^}\s]+)\}/g, (_, name) => {
    try { return toString(evaluate('${' + name + '}', model.context().at(path))) } catch (e) { return '' }
  })
  const pages = model.pages()
  const visible = pages.map((p, i) => i).filter((i) => model.pageRelevant(pages[i]))
  const at = Math.max(0, visible.indexOf(pageNo))
  const fields = pages[visible[at]] || []
  const ctx = {
    model, tr, text, files: {}, version: tick + '/' + lang, allMounted: true,
    setValue: (path, v) => { model.set(path, v); rerender() },
    setFile: () => {},
    addRepeat: (field, path) => { model.addRepeat(field, path); rerender() },
    removeRepeat: (path, i) => { model.removeRepeat(path, i); rerender() }
  }
  const focusFirst = (errors) => setTimeout(() => {
    const el = document.getElementById(idFor(Object.keys(errors)[0] || ''))
    if (el) el.focus()
  }, 0)
  const toTop = () => { if (screen.current) screen.current.scrollTop = 0 }
  const go = (delta) => {
    if (delta > 0) {
      const errors = model.validate(fields)
      if (Object.keys(errors).length) { setNotice(T.fixErrors(Object.keys(errors).length)); rerender(); focusFirst(errors); return }
    }
    setNotice('')
    setPageNo(visible[Math.min(visible.length - 1, Math.max(0, at + delta))])
    toTop()
  }
  const checkAll = () => {
    for (const i of visible) {
      const errors = model.validate(pages[i])
      const n = Object.keys(errors).length
      if (n) { setPageNo(i); setNotice(D.checkedBad(n)); rerender(); focusFirst(errors); return }
    }
    setNotice(D.checkedOk)
    rerender()
  }
  const last = at === visible.length - 1
  const dir = isRtl(lang) ? 'rtl' : 'ltr'
  return html`<div class="phone-wrap">
    <div class="phone-tools">
      <p class="hint">${D.previewHint}</p>
      <button type="button" class="btn small secondary" onClick=${() => { setRound((r) => r + 1); setPageNo(0); setNotice(''); toTop() }}>${D.restart}</button>
    </div>
    <div class="phone-frame">
      <div class="phone-screen" ref=${screen} role="region" aria-label=${D.preview}>
        <div class="phone-body">
          <form class="filler" dir=${dir} lang=${lang} novalidate onSubmit=${(e) => { e.preventDefault(); last ? checkAll() : go(1) }}>
            <div class="form-head">
              <h1>${tr(def.title) || def.form_id}</h1>
              <${LanguageSwitch} languages=${def.languages} value=${lang} onChange=${(l) => setLang(l)} />
            </div>
            <p class="progress">${T.page(at + 1, visible.length)}</p>
            <div class="notice" role="status" aria-live="polite">${notice}</div>
            <div class="fields"><${Fields} fields=${fields} parentPath=${'/' + model.root} ctx=${ctx} /></div>
            <div class="nav">
              <button type="button" class="btn secondary" disabled=${at === 0} onClick=${() => go(-1)}>${T.prev}</button>
              <button type="submit" class="btn primary">${last ? D.check : T.next}</button>
            </div>
          </form>
        </div>
      </div>
    </div>
    <${Calculated} def=${def} model=${model} tr=${tr} version=${tick} />
  </div>`
}

/** The values the form's calculations give for the answers so far (outside repeats). */
function Calculated ({ def, model, tr }) {
  const repeats = def.repeats || []
  const meta = `/${def.root}/meta/`
  const calcs = [...flatten(def).values()].filter((f) => f.type === 'calculate' && !f.path.startsWith(meta) &&
    !repeats.some((r) => f.path.startsWith(r + '/')))
  return html`<details class="calculated">
    <summary>${D.calculated}（${calcs.length}）</summary>
    ${calcs.length ? html`<table class="grid-table kv">
      <tbody>${calcs.map((f) => html`<tr><th scope="row">${f.name}${f.label ? ` ${tr(f.label)}` : ''}</th>
        <td><code>${String(model.get(f.path) ?? '')}</code></td></tr>`)}</tbody></table>`
      : html`<p class="muted">${D.noCalculated}</p>`}
  </details>`
}
