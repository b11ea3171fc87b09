/** Port helpers shared by the local scripts. */
import { createServer } from 'node:net'

/**
 * A port that was free on 127.0.0.1 a moment ago.
 *
 * @example
 * const port = await freePort()
 */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

/**
 * True when something already listens on 127.0.0.1:port.
 *
 * @example
 * if (await portInUse(3000)) console.error('port 3000 is taken')
 */
export const portInUse = (port) =>
  new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(true))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)))
  })
