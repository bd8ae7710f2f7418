// The UTC offset (seconds) of a time zone at an instant, for code outside the engine.
import { getTz } from './tz.js'

export const getTzOffsetSeconds = (tz, epochSec) => getTz(tz).offsetAt(epochSec)
