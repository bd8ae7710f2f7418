// The administrator's sections of the console: accounts, the unit tree on a map, the audit log.
import { html } from '../../../app/ui.js'
import { A } from '../admin_strings.js'
import { AuditPage } from './AuditPage.js'
import { UnitsPage } from './UnitsPage.js'
import { UserPage } from './UserPage.js'
import { UsersPage } from './UsersPage.js'

export const ADMIN_MENU = [['users', A.users], ['units', A.units], ['audit', A.audit]]

/** The page of an admin section, or null when ``section`` is not one. */
export function adminBody (app, section, arg) {
  if (section === 'users' && arg) return html`<${UserPage} app=${app} username=${arg} key=${arg} />`
  if (section === 'users') {
    const unit = new URLSearchParams((location.hash.split('?')[1]) || '').get('unit') || undefined
    return html`<${UsersPage} app=${app} unit=${unit} key=${unit || ''} />`
  }
  if (section === 'units') return html`<${UnitsPage} app=${app} />`
  if (section === 'audit') return html`<${AuditPage} app=${app} />`
  return null
}
