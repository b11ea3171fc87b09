/**
 * The article's handler, made current: async instead of a callback, Middy instead of a bare function,
 * and the container's identity read from `context.container` instead of a UUID minted at import (an id
 * minted during init would be duplicated by a snapshot restore; `containerLifetime()` mints it lazily).
 *
 * Call it twice and the second answer shows the same `containerId` with `invocation: 2`: the container
 * was reused, as Lambda does in production.
 */
import { Logger } from '@aws-lambda-powertools/logger'
import { type ContainerContext, containerLifetime, enableGracefulShutdown } from '@lambda-lifetime/container'
import { lifecycleLogger } from '@lambda-lifetime/logger'
import middy from '@middy/core'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda'

// Registers an internal extension, so that Lambda sends SIGTERM when it reaps this container and the
// logger writes its `container.shutdown` line. Outside Lambda it does nothing.
await enableGracefulShutdown()

const logger = new Logger({ serviceName: 'hello' })

type HelloContext = Context & ContainerContext

const hello = async (
  event: APIGatewayProxyEventV2,
  context: HelloContext,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const { containerId, invocation, startType, ageMs } = context.container
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: 'Hello from a Lambda container that outlives this request',
      containerId,
      invocation,
      startType,
      containerAgeMs: ageMs,
      input: event,
    }),
  }
}

/**
 * The Lambda entry point: `containerLifetime()` first, so that every later middleware and the handler
 * see the same invocation view.
 *
 * @example
 * ```sh
 * curl -s localhost:3000/hello   # {"containerId":"7f3c…","invocation":1,"startType":"cold",…}
 * curl -s localhost:3000/hello   # {"containerId":"7f3c…","invocation":2,"startType":"warm",…}
 * ```
 */
export const handler = middy(hello).use(containerLifetime()).use(lifecycleLogger({ logger }))
