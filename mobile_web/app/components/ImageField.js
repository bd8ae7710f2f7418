// Photo capture: the phone's camera through <input capture>, shrunk to max-pixels on the
// phone; the answer is the file name, the Blob travels in the outbox item's files.
import { html, useState, useEffect } from '../ui.js'
import { T } from '../i18n.js'
import { downscale, photoName } from '../photo.js'
import { idFor, described } from './FieldFrame.js'

export function ImageField ({ field, path, value, readOnly, onChange, files, setFile, hint, error }) {
  const [busy, setBusy] = useState(false)
  const [url, setUrl] = useState(null)
  const blob = value ? files[value] : null
  useEffect(() => {
    if (!blob) { setUrl(null); return }
    const u = URL.createObjectURL(blob)
    setUrl(u)
    return () => URL.revokeObjectURL(u)
  }, [blob])
  const id = idFor(path)
  const max = Number((field.parameters || {})['max-pixels']) || 1600
  const pick = async (e) => {
    const file = e.target.files && e.target.files[0]
    e.target.value = ''
    if (!file) return
    setBusy(true)
    try {
      const { blob: small } = await downscale(file, max)
      const name = photoName()
      setFile(name, small, value)
      onChange(name)
    } finally {
      setBusy(false)
    }
  }
  const remove = () => { setFile(null, null, value); onChange('') }
  return html`<div class="photo">
    ${url ? html`<img src=${url} alt=${T.photoTake} class="preview" />` : null}
    ${busy ? html`<div aria-live="polite">${T.photoProcessing}</div>` : null}
    ${readOnly ? null : html`
      <label class="btn file-btn" for=${id}>${value ? T.photoRetake : T.photoTake}</label>
      <input id=${id} class="visually-hidden" type="file" accept="image/*" capture="environment"
        onChange=${pick} ...${described(path, hint, error)} />
      ${value ? html`<button type="button" class="btn secondary" onClick=${remove}>${T.photoRemove}</button>` : null}`}
  </div>`
}
