/**
 * The lines `npm start` prints for the emulator's events: the emulator's own `describeEvent` (an
 * invocation that answered a 4xx reads `client error 404`, a 5xx or a thrown error `error`, from the
 * `answer` field of `invocation.end`), with the time in front and, once the function has minted one, the
 * container it runs in (`container 1a2b3c4d`, the first 8 hex digits of the id its answers carry).
 */
import { describeEvent, shortId } from '@lambda-lifetime/emulator'
import { containerOf } from './containers.mjs'

const time = (at) => new Date(at).toISOString().slice(11, 23)

/**
 * One terminal line for an emulator event, or null for events not worth a line.
 *
 * @example
 * emulator.subscribe((event) => { const line = terminalLine(event); if (line) console.log(line) })
 * // 12:00:01.234 orders-api env 0c043fa4 invocation 2: client error 404 in 12 ms · container 1a2b3c4d
 */
export const terminalLine = (event, now = Date.now()) => {
  const line = describeEvent(event)
  if (line === null) return null
  const container = event.type === 'invocation.end' ? containerOf(event.environment) : null
  return `${time(now)} ${line}${container === null ? '' : ` · container ${shortId(container)}`}`
}
