// The audit log's filters as the API's query: dates chosen in the console are days in the
// city (Asia/Shanghai, +08:00 all year), and the last day is included.

/** '2026-12-07' -> the start of that day in the city ('+08:00'); ``after`` gives the next day's start. */
export function cityDayStart (date, after = false) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '')
  if (!m) return undefined
  const day = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3] + (after ? 1 : 0))).toISOString().slice(0, 10)
  return `${day}T00:00:00+08:00`
}

/** The API's query for the filters. */
export function auditQuery (f, cursor) {
  return { actor: f.actor.trim() || undefined, action: f.action || undefined, target: f.target.trim() || undefined,
    since: cityDayStart(f.since), until: cityDayStart(f.until, true), full_reads: f.full_reads ? 'true' : undefined,
    cursor: cursor || undefined, limit: 50 }
}

