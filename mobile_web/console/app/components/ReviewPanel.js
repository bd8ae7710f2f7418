// The review decision (PATCH with If-Match = the ETag the page was read with) and the thread.
import { html, useState } from '../../../app/ui.js'
import { C, REVIEW_ACTION, REVIEW_LABEL, when } from '../strings.js'
import { errorText, Loading, Outcome, useLoad } from './common.js'

const NEEDS_COMMENT = new Set(['returned', 'rejected'])
const ACTIONS = ['approved', 'has_issues', 'returned', 'rejected']

export function ReviewPanel ({ app, sub, etag, onDone }) {
  const [comment, setComment] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState(null)
  const [done, setDone] = useState('')
  const decide = async (state) => {
    setError(null)
    setDone('')
    if (NEEDS_COMMENT.has(state) && !comment.trim()) {
      setError({ message: C.commentNeeded })
      document.getElementById('review-comment').focus()
      return
    }
    setBusy(true)
    try {
      await app.api.review(sub.instance_id, etag, state, comment.trim())
      setComment('')
      setDone(`${C.saved}：${REVIEW_LABEL[state]}`)
      app.toast(`${C.saved}：${REVIEW_LABEL[state]}`)
      onDone()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  return html`<section class="panel review" aria-labelledby="review-h">
    <h2 id="review-h">${C.review}：<span class=${'badge rv-' + sub.review_state}>${REVIEW_LABEL[sub.review_state] || sub.review_state}</span></h2>
    ${sub.review_comment ? html`<p class="last-comment">最近意见：${sub.review_comment}</p>` : null}
    <div class="field"><label for="review-comment">${C.comment}</label>
      <textarea id="review-comment" rows="3" maxlength="2000" aria-describedby="review-hint" value=${comment}
        onInput=${(e) => setComment(e.target.value)}></textarea>
      <div id="review-hint" class="hint">${C.commentHint}</div></div>
    <div class="actions">
      ${ACTIONS.map((s) => html`<button type="button" class=${'btn ' + (s === 'approved' ? 'primary' : s === 'rejected' ? 'danger' : '')}
        disabled=${busy} onClick=${() => decide(s)}>${REVIEW_ACTION[s]}</button>`)}
    </div>
    <${Outcome} error=${error} done=${done} onReload=${() => { setError(null); onDone() }} />
  </section>`
}

export function Comments ({ app, id }) {
  const thread = useLoad(() => app.api.comments(id), [id])
  const [text, setText] = useState('')
  const [error, setError] = useState('')
  const post = async (e) => {
    e.preventDefault()
    if (!text.trim()) return
    setError('')
    try {
      await app.api.addComment(id, text.trim())
      setText('')
      thread.reload()
    } catch (err) { setError(errorText(err)) }
  }
  const items = (thread.data && thread.data.items) || []
  return html`<section class="panel comments" aria-labelledby="thread-h"><h2 id="thread-h">${C.thread}</h2>
    <${Loading} state=${thread}>
      ${items.length === 0 ? html`<p class="muted">${C.noComments}</p>` : html`<ol class="thread">
        ${items.map((c) => html`<li key=${c.id}><div class="c-head"><strong>${c.author_name || c.author}</strong>
          <span class="muted">${when(c.created_at)}</span>
          ${c.review_state ? html`<span class=${'badge rv-' + c.review_state}>${REVIEW_LABEL[c.review_state]}</span>` : null}</div>
          <p>${c.body}</p></li>`)}</ol>`}
    <//>
    <form onSubmit=${post}>
      <div class="field"><label for="comment-new">${C.commentText}</label>
        <textarea id="comment-new" rows="2" maxlength="2000" value=${text} onInput=${(e) => setText(e.target.value)}></textarea></div>
      <button type="submit" class="btn">${C.addComment}</button>
      <div class="q-error" role="alert">${error}</div>
    </form>
  </section>`
}
