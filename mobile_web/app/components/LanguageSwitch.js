// The form language picker (label::zh, label::ug…); Uyghur and other RTL scripts flip direction.
import { html } from '../ui.js'
import { T, langCode } from '../i18n.js'

const NAMES = { zh: '中文', en: 'English', ug: 'ئۇيغۇرچە', kk: 'Қазақша', bo: 'བོད་ཡིག', mn: 'Монгол', ii: 'ꆈꌠꉙ', default: '默认' }

export function LanguageSwitch ({ languages, value, onChange }) {
  if (!languages || languages.length < 2) return null
  return html`<label class="lang">${T.language}
    <select value=${value} onChange=${(e) => onChange(e.target.value)}>
      ${languages.map((l) => html`<option value=${l} selected=${l === value}>${NAMES[langCode(l)] || l}</option>`)}
    </select></label>`
}
