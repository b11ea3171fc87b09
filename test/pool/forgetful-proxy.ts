/**
 * A TCP proxy on 127.0.0.1 that can "forget" its open connections the way a NAT gateway forgets an idle flow
 * while a Lambda container is frozen: the client is told nothing, and the next bytes it sends on such a
 * connection are answered with a TCP reset.
 */
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net'

export interface ForgetfulProxy {
  readonly port: number
  /** Forgets every open connection: each is reset at its client's next write. */
  forget(): void
  close(): Promise<void>
}

/**
 * Starts a proxy to `target`.
 *
 * @example
 * ```ts
 * const proxy = await startForgetfulProxy({ host: '127.0.0.1', port: server.port })
 * proxy.forget()
 * ```
 */
export const startForgetfulProxy = async (target: {
  host: string
  port: number
}): Promise<ForgetfulProxy> => {
  const open = new Set<Socket>()
  const forgotten = new WeakSet<Socket>()
  const server = createServer((client) => {
    const upstream = createConnection(target)
    open.add(client)
    client.on('close', () => {
      open.delete(client)
      upstream.destroy()
    })
    upstream.on('close', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('data', (chunk) => {
      if (forgotten.has(client)) {
        client.resetAndDestroy()
        upstream.destroy()
      } else upstream.write(chunk)
    })
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    forget() {
      for (const socket of open) forgotten.add(socket)
    },
    async close() {
      for (const socket of open) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
