// The frame every question shares: label, hint, error (announced), and required marker.
import { html } from '../ui.js'
import { T } from '../i18n.js'

/** A DOM id for a concrete instance path. */
export const idFor = (path, suffix = '') => 'q' + path.replace(/[^A-Za-z0-9_-]/g, '_') + suffix

/** The error text for a model error {key, text}. */
export function errorText (err, tr) {
  if (!err) return ''
  return (err.text && tr(err.text)) || T[err.key] || T.invalid
}

/** Props: path, label, hint, required, error, group (fieldset with legend), children. */
export function FieldFrame ({ path, label, hint, required, error, group, children, dir }) {
  const id = idFor(path)
  const hintId = hint ? idFor(path, '-hint') : null
  const errId = idFor(path, '-err')
  const mark = required ? html`<span class="req" aria-hidden="true"> *</span>` : null
  const head = group
    ? html`<legend id=${id + '-label'} class="q-label">${label}${mark}</legend>`
    : html`<label id=${id + '-label'} class="q-label" for=${id}>${label}${mark}</label>`
  const body = html`
    ${head}
    ${hint ? html`<div id=${hintId} class="q-hint">${hint}</div>` : null}
    ${children}
    <div id=${errId} class="q-error" role="alert" aria-live="assertive">${error || ''}</div>`
  return group
    ? html`<fieldset class=${'q' + (error ? ' has-error' : '')} dir=${dir}>${body}</fieldset>`
    : html`<div class=${'q' + (error ? ' has-error' : '')} dir=${dir}>${body}</div>`
}

/** aria attributes for a control described by its hint and error. */
export function described (path, hint, error) {
  const ids = [hint ? idFor(path, '-hint') : null, error ? idFor(path, '-err') : null].filter(Boolean)
  return { 'aria-describedby': ids.join(' ') || undefined, 'aria-invalid': error ? 'true' : undefined }
}
