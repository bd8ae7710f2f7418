// Resident ID numbers (GB 11643): 18 characters with an ISO 7064 MOD 11-2 check character,
// or a 15-digit first-generation number; the birth date inside must be a real date.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

/** The check character of the first 17 digits. */
export function checkChar (first17) {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]
  return CHECK[sum % 11]
}

function realDate (y, m, d) {
  const t = new Date(Date.UTC(y, m - 1, d))
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d
}

/** null when the number is well-formed, else a problem key: 'length', 'birth_date' or 'check_char'. */
export function residentIdProblem (text) {
  const v = String(text || '').trim().toUpperCase()
  if (/^\d{15}$/.test(v)) return realDate(1900 + Number(v.slice(6, 8)), Number(v.slice(8, 10)), Number(v.slice(10, 12))) ? null : 'birth_date'
  if (!/^\d{17}[\dX]$/.test(v)) return 'length'
  if (!realDate(Number(v.slice(6, 10)), Number(v.slice(10, 12)), Number(v.slice(12, 14)))) return 'birth_date'
  return checkChar(v) === v[17] ? null : 'check_char'
}
