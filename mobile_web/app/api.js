// Fetch wrapper for the gridreg JSON API: bearer token, Accept-Language, JSON in and out,
// and the error body {code, status, message, errors, error} turned into an ApiError. A 401 to
// a call that carried a token is reported to onUnauthorized(token): the server, not the
// phone's clock, says when a token has run out (session.js).

export class ApiError extends Error {
  /** status 0 means no answer (offline, DNS, timeout). */
  constructor (status, body) {
    const b = body && typeof body === 'object' ? body : {}
    super(b.message || (status ? `HTTP ${status}` : 'network error'))
    this.name = 'ApiError'
    this.status = status
    this.code = b.error || null // stable dotted code, e.g. submission.payload_mismatch
    this.errors = b.errors || null
    this.body = body
  }

  get offline () { return this.status === 0 }
}

async function readBody (res) {
  const type = res.headers.get('content-type') || ''
  if (res.status === 204) return null
  if (type.includes('json')) {
    try { return await res.json() } catch (e) { return null }
  }
  try { return await res.text() } catch (e) { return null }
}

/**
 * createApi({base, getToken, onUnauthorized, fetch, lang, timeoutMs}) -> {request, login, logout, me, forms, form, submit}.
 * getToken() may be async and returns the bearer token or null; onUnauthorized(token) hears
 * of every 401 answered to a call made with that token.
 */
export function createApi ({ base = '/api/v1', getToken = () => null, onUnauthorized = () => {}, fetch: fetchImpl = (...a) => globalThis.fetch(...a), lang = 'zh-CN', timeoutMs = 60000 } = {}) {
  /** token: undefined = the session's (getToken), null = none, a string = that one. */
  async function raw (method, path, { json, body, headers = {}, token } = {}) {
    const h = Object.assign({ Accept: 'application/json', 'Accept-Language': lang }, headers)
    if (token === undefined) token = await getToken()
    if (token) h.Authorization = `Bearer ${token}`
    if (json !== undefined) {
      h['Content-Type'] = 'application/json'
      body = JSON.stringify(json)
    }
    const ctrl = typeof AbortController === 'function' ? new AbortController() : null
    const timer = ctrl ? setTimeout(() => ctrl.abort(), timeoutMs) : null
    let answer
    try {
      const res = await fetchImpl(base + path, { method, headers: h, body, signal: ctrl ? ctrl.signal : undefined, credentials: 'same-origin' })
      answer = { status: res.status, ok: res.ok, body: await readBody(res) }
    } catch (e) {
      throw new ApiError(0, { message: e && e.message })
    } finally {
      if (timer) clearTimeout(timer)
    }
    if (answer.status === 401 && token) await Promise.resolve().then(() => onUnauthorized(token)).catch(() => {})
    return answer
  }

  async function request (method, path, opts) {
    const res = await raw(method, path, opts)
    if (!res.ok) throw new ApiError(res.status, res.body)
    return res.body
  }

  return {
    raw,
    request,
    // A login never carries the stored token, so its 401 (wrong password) is not a refused token.
    login: (username, password) => request('POST', '/auth/token', { json: { username, password }, token: null }),
    logout: () => request('DELETE', '/auth/token'),
    me: () => request('GET', '/me'),
    forms: () => request('GET', '/forms'),
    form: (formId) => request('GET', `/forms/${encodeURIComponent(formId)}`),
    /** One page of an entity list's changes since cursor: {items, next_cursor, has_more}. */
    sync: (dataset, cursor, limit = 5000) => request('GET', `/registry/${encodeURIComponent(dataset)}/sync?limit=${limit}` +
      (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '')),
    /**
     * POST an outbox item as multipart; resolves {status, body} for any HTTP answer, rejects
     * offline. token (optional) is the one to send it with: its owner's (session.tokenFor).
     */
    submit: (item, token) => raw('POST', `/forms/${encodeURIComponent(item.formId)}/submissions`, { body: submissionBody(item), token })
  }
}

/** The multipart body: part `submission` (JSON) plus one part per photo, named as the data names it. */
export function submissionBody (item) {
  const fd = new FormData()
  const payload = {
    instance_id: item.instanceID,
    form_version: item.formVersion,
    data: item.data,
    meta: item.meta || {}
  }
  if (item.deprecatedID) payload.deprecated_id = item.deprecatedID
  fd.append('submission', JSON.stringify(payload))
  for (const [name, blob] of Object.entries(item.files || {})) fd.append(name, blob, name)
  return fd
}
