// The console's calls on the gridreg API, over the phone client's fetch wrapper (api.js):
// reads that a decision needs come back with their ETag, and decisions send it as If-Match.
import { ApiError, createApi } from '../../app/api.js'

const enc = encodeURIComponent

function query (params) {
  const qs = Object.entries(params || {}).filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')
  return qs ? `?${qs}` : ''
}

export function createConsoleApi (opts) {
  const unauthorized = opts.onUnauthorized || (() => {})
  const base = createApi({ ...opts, onUnauthorized: undefined }) // heard here, once, for every call
  const getToken = opts.getToken
  // An expired or revoked token sends the supervisor back to the login screen (except the login itself).
  const raw = async (method, path, o) => {
    const res = await base.raw(method, path, o)
    if (res.status === 401 && path !== '/auth/token') unauthorized()
    return res
  }
  const request = async (method, path, o) => {
    const res = await raw(method, path, o)
    if (!res.ok) throw new ApiError(res.status, res.body)
    return res.body
  }
  const api = { ...base, raw, request, me: () => request('GET', '/me'), forms: () => request('GET', '/forms'),
    form: (formId) => request('GET', `/forms/${encodeURIComponent(formId)}`) }

  /** One call that also hands back the answer's ETag (the shared wrapper answers status and body only). */
  async function withEtag (method, path, o) {
    let etag = null
    const fetchImpl = opts.fetch || ((...a) => globalThis.fetch(...a))
    const once = createApi({ ...opts, onUnauthorized: undefined,
      fetch: async (...a) => { const res = await fetchImpl(...a); etag = res.headers.get('ETag'); return res } })
    const res = await once.raw(method, path, o)
    if (res.status === 401) unauthorized()
    if (!res.ok) throw new ApiError(res.status, res.body)
    return { body: res.body, etag: etag || (res.body && res.body.etag) || null }
  }

  /** {body, etag} of a GET, or an ApiError. */
  const tagged = (path) => withEtag('GET', path)

  /** A decision: method + JSON body with If-Match; resolves the answer's {body, etag}. */
  const decide = (method, path, etag, json) =>
    withEtag(method, path, { json: json === undefined ? {} : json, headers: etag ? { 'If-Match': etag } : {} })

  const reg = (ds) => `/registry/${enc(ds)}`
  const versions = new Map() // a published form version never changes: fetched once per session

  return {
    ...api,
    /** The review queue: {items, next_cursor, counts}. */
    queue: (params) => api.request('GET', `/submissions${query(params)}`),
    submission: (id) => tagged(`/submissions/${enc(id)}`),
    review: (id, etag, reviewState, comment) => decide('PATCH', `/submissions/${enc(id)}`, etag,
      { review_state: reviewState, ...(comment ? { comment } : {}) }),
    comments: (id) => api.request('GET', `/submissions/${enc(id)}/comments`),
    addComment: (id, body) => api.request('POST', `/submissions/${enc(id)}/comments`, { json: { body } }),
    mergeResult: (id) => api.request('GET', `/registry/submissions/${enc(id)}`),
    /** A form version's compiled definition (the one the phone client downloads). */
    formVersion (formId, version) {
      const key = `${formId}@${version}`
      if (!versions.has(key)) {
        versions.set(key, api.request('GET', `/forms/${enc(formId)}/versions/${enc(version)}`)
          .then((f) => f.definition || f).catch((e) => { versions.delete(key); throw e }))
      }
      return versions.get(key)
    },
    /** Upload an XLSForm workbook as a draft: {form_id, version, state}, or an ApiError listing located problems. */
    uploadForm (file) {
      const body = new FormData()
      body.append('file', file, file.name)
      return api.request('POST', '/forms', { body })
    },
    /** A draft's or any version's compiled form, fetched afresh (a draft is replaced by the next upload). */
    draft: (formId) => api.request('GET', `/forms/${enc(formId)}/draft`),
    versionFresh: (formId, version) => api.request('GET', `/forms/${enc(formId)}/versions/${enc(version)}`),
    formVersions: (formId) => api.request('GET', `/forms/${enc(formId)}/versions`),
    publish: (formId) => api.request('POST', `/forms/${enc(formId)}/draft/publish`),
    units: () => api.request('GET', '/geo/units'),
    unit: (code) => api.request('GET', `/geo/units/${enc(code)}`),
    /** Units of the same level touching a unit, with boundaries (those in the caller's scope). */
    neighbours: (code) => api.request('GET', `/geo/units/${enc(code)}/neighbours`),
    datasets: () => api.request('GET', '/registry/datasets'),
    search: (ds, params) => api.request('GET', `${reg(ds)}/entities${query(params)}`),
    entity: (ds, uuid) => tagged(`${reg(ds)}/entities/${enc(uuid)}`),
    duplicates: (ds, params) => api.request('GET', `${reg(ds)}/duplicates${query(params)}`),
    candidate: (ds, id) => tagged(`${reg(ds)}/duplicates/${enc(id)}`),
    merge: (ds, id, etag, survivor) => decide('POST', `${reg(ds)}/duplicates/${enc(id)}/merge`, etag, { survivor }),
    distinct: (ds, id, etag) => decide('POST', `${reg(ds)}/duplicates/${enc(id)}/distinct`, etag),
    unmerge: (ds, id, etag) => decide('POST', `${reg(ds)}/duplicates/${enc(id)}/unmerge`, etag),
    conflicts: (ds, params) => api.request('GET', `${reg(ds)}/conflicts${query(params)}`),
    resolve: (ds, uuid, etag, properties) => decide('POST', `${reg(ds)}/entities/${enc(uuid)}/resolution`, etag, { properties }),
    placements: (ds, params) => api.request('GET', `${reg(ds)}/placements${query(params)}`),
    acceptMove: (ds, id, etag) => decide('POST', `${reg(ds)}/placements/${enc(id)}/accept`, etag),
    rejectMove: (ds, id, etag) => decide('POST', `${reg(ds)}/placements/${enc(id)}/reject`, etag),
    /** Cases in scope (and, for a department, its purpose): {items, next_cursor}. */
    cases: (params) => api.request('GET', `/cases${query(params)}`),
    case: (id) => tagged(`/cases/${enc(id)}`),
    caseCodes: () => api.request('GET', '/cases/codes'),
    openCase: (body) => api.request('POST', '/cases', { json: body }),
    /** A change to a case (status, assignee, note) with the case's ETag as If-Match. */
    updateCase: (id, etag, change) => decide('PATCH', `/cases/${enc(id)}`, etag, change),
    report: (period, params) => api.request('GET', `/reports/monthly/${enc(period)}${query(params)}`),
    runReport: (period, params) => api.request('POST', `/reports/monthly/${enc(period)}/run${query(params)}`),
    reportXlsxPath: (period, params) => `/api/v1/reports/monthly/${enc(period)}.xlsx${query(params)}`,
    overview: (params) => api.request('GET', `/reports/overview${query(params)}`),
    // Administration (admins only): accounts, departments, the unit tree with boundaries, the audit trail.
    users: (params) => api.request('GET', `/users${query(params)}`),
    user: (username) => api.request('GET', `/users/${enc(username)}`),
    createUser: (body) => api.request('POST', '/users', { json: body }),
    updateUser: (username, changes) => api.request('PATCH', `/users/${enc(username)}`, { json: changes }),
    /** {password}: a generated password (shown once), or null when the admin chose it. */
    resetPassword: (username, password) => api.request('POST', `/users/${enc(username)}/password`, { json: password ? { password } : {} }),
    tokens: (username) => api.request('GET', `/users/${enc(username)}/tokens`),
    /** {access_token, expires_at}: the secret is in this answer only. */
    issueToken: (username, label) => api.request('POST', `/users/${enc(username)}/tokens`, { json: { label } }),
    revokeToken: (username, id) => api.request('DELETE', `/users/${enc(username)}/tokens/${enc(id)}`),
    departments: () => api.request('GET', '/departments'),
    unitTree: (boundaries) => api.request('GET', `/geo/units${query({ boundaries: boundaries ? 'true' : undefined })}`),
    audit: (params) => api.request('GET', `/audit${query(params)}`),
    /** An attachment as an object URL (images need the bearer token, so no plain <img src>). */
    async blobUrl (url) {
      const token = await getToken()
      const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} })
      if (!res.ok) throw new ApiError(res.status, null)
      return URL.createObjectURL(await res.blob())
    }
  }
}

export { ApiError }
