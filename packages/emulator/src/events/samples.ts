/**
 * Sample events of the AWS sources that invoke a Lambda function, to print, edit and send: API Gateway
 * HTTP API (payload 2.0) and REST API (1.0), Function URL, ALB, SQS, SNS, S3, EventBridge, DynamoDB
 * Streams, Kinesis and the scheduled event. Each has the shape the service sends (ids, ARNs in the given
 * region and account, timestamps from the given clock) and options for the fields people change.
 *
 * Wiring:
 * - `lambda-lifetime event <source> [--path /orders/1 --method POST --body '{…}' --bucket b --key k …]`
 *   prints `JSON.stringify(sampleEvent(source, options), null, 2)`; `lambda-lifetime event --help` lists
 *   `EVENT_SOURCES` (name, description, options).
 * - `lambda-lifetime invoke <function> --event file.json` (or `--event -`) sends a file such as this one.
 * - The HTTP front door can use `sampleEvent('http-api' | 'rest-api', …)` as the base of the events it
 *   builds per request (method, path, headers, query and body from the request; `routeKey` and
 *   `pathParameters` from the router).
 */
import { createHash, randomUUID } from 'node:crypto'

/** Options shared by every source, and the fields people change, by source. */
export interface SampleEventOptions {
  /** Region in ARNs and `awsRegion`. Default `us-east-1`. */
  readonly region?: string
  /** Account in ARNs. Default `000000000000` (the emulator's). */
  readonly accountId?: string
  /** Clock for every timestamp. Default `Date.now`. */
  readonly now?: () => number
  /** Source of ids (request ids, message ids). Default `crypto.randomUUID`. */
  readonly randomId?: () => string
  // HTTP sources (http-api, rest-api, function-url, alb)
  /** Default `GET`. */
  readonly method?: string
  /** Request path, query string allowed (`/orders?limit=2`). Default `/`. */
  readonly path?: string
  /** Route (`GET /orders/{id}`, REST `resource` `/orders/{id}`). Default: the method and the path (`$default` for a Function URL). */
  readonly route?: string
  readonly pathParameters?: Readonly<Record<string, string>>
  readonly headers?: Readonly<Record<string, string>>
  readonly query?: Readonly<Record<string, string>>
  /** Request body (HTTP) or message body (SQS); an object is sent as JSON. */
  readonly body?: string | object
  // S3
  readonly bucket?: string
  readonly key?: string
  /** Object size in bytes. Default 1024. */
  readonly size?: number
  /** Default `ObjectCreated:Put`. */
  readonly s3EventName?: string
  // SQS
  /** Queue name. Default `orders-queue`. */
  readonly queue?: string
  // SNS
  /** Topic name. Default `orders-topic`. */
  readonly topic?: string
  /** SNS message; an object is sent as JSON. */
  readonly message?: string | object
  readonly subject?: string
  // EventBridge
  readonly detailType?: string
  readonly source?: string
  readonly detail?: object
  // DynamoDB Streams
  readonly table?: string
  /** Plain values, marshalled to attribute values (`{ id: '1' }` → `{ id: { S: '1' } }`). */
  readonly keys?: Readonly<Record<string, unknown>>
  readonly newImage?: Readonly<Record<string, unknown>>
  readonly oldImage?: Readonly<Record<string, unknown>>
  /** Default `INSERT` (`MODIFY` when `oldImage` is given). */
  readonly dynamodbEventName?: 'INSERT' | 'MODIFY' | 'REMOVE'
  // Kinesis
  readonly stream?: string
  /** Record data before base64; an object is sent as JSON. */
  readonly data?: string | object
  readonly partitionKey?: string
  // Scheduled
  /** Rule (or schedule) name. Default `every-5-minutes`. */
  readonly schedule?: string
  // ALB
  readonly targetGroup?: string
}

/** A DynamoDB attribute value, as a stream record carries it. */
export type DynamoAttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly L: DynamoAttributeValue[] }
  | { readonly M: Record<string, DynamoAttributeValue> }

interface Context {
  readonly region: string
  readonly account: string
  readonly at: Date
  readonly id: () => string
}

const contextOf = (options: SampleEventOptions): Context => ({
  region: options.region ?? 'us-east-1',
  account: options.accountId ?? '000000000000',
  at: new Date((options.now ?? Date.now)()),
  id: options.randomId ?? randomUUID,
})

const textOf = (value: string | object | undefined): string | undefined =>
  value === undefined || typeof value === 'string' ? value : JSON.stringify(value)

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** API Gateway's `requestTime`: `04/Dec/2026:15:42:07 +0000`. */
const apiGatewayTime = (at: Date): string => {
  const pad = (value: number): string => String(value).padStart(2, '0')
  const date = `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}`
  return `${date}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`
}

/** EventBridge's `time`: ISO without milliseconds. */
const eventBridgeTime = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z')

/** A 10-character id as API Gateway mints (`a1b2c3d4e5`), derived from a random id. */
const shortId = (id: () => string, length = 10): string =>
  createHash('sha256').update(id()).digest('hex').slice(0, length)

const md5 = (text: string): string => createHash('md5').update(text).digest('hex')

interface HttpRequest {
  readonly method: string
  readonly rawPath: string
  readonly rawQueryString: string
  readonly query: Record<string, string> | undefined
  readonly headers: Record<string, string>
  readonly body: string | undefined
}

const httpRequest = (options: SampleEventOptions, host: string): HttpRequest => {
  const [rawPath = '/', queryFromPath = ''] = (options.path ?? '/').split('?', 2)
  const search = new URLSearchParams(queryFromPath)
  for (const [name, value] of Object.entries(options.query ?? {})) search.set(name, value)
  const query = search.size === 0 ? undefined : Object.fromEntries(search)
  const body = textOf(options.body)
  const headers: Record<string, string> = {
    accept: '*/*',
    host,
    'user-agent': 'curl/8.7.1',
    'x-forwarded-for': '203.0.113.10',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(body !== undefined && typeof options.body === 'object' ? { 'content-type': 'application/json' } : {}),
    ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value
  return {
    method: (options.method ?? 'GET').toUpperCase(),
    rawPath: rawPath.startsWith('/') ? rawPath : `/${rawPath}`,
    rawQueryString: search.toString(),
    query,
    headers,
    body,
  }
}

const httpApiEvent = (options: SampleEventOptions, kind: 'http-api' | 'function-url' = 'http-api') => {
  const context = contextOf(options)
  const apiId = shortId(context.id)
  const host =
    kind === 'function-url'
      ? `${shortId(context.id, 32)}.lambda-url.${context.region}.on.aws`
      : `${apiId}.execute-api.${context.region}.amazonaws.com`
  const request = httpRequest(options, host)
  const routeKey =
    options.route ?? (kind === 'function-url' ? '$default' : `${request.method} ${request.rawPath}`)
  // Payload 2.0 moves the Cookie header into `cookies`, one entry per cookie.
  const { cookie, ...headers } = request.headers
  const cookies = cookie?.split(/;\s*/)
  return {
    version: '2.0',
    routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
    ...(cookies === undefined ? {} : { cookies }),
    headers,
    ...(request.query === undefined ? {} : { queryStringParameters: request.query }),
    requestContext: {
      accountId: kind === 'function-url' ? 'anonymous' : context.account,
      apiId: host.split('.')[0] as string,
      domainName: host,
      domainPrefix: host.split('.')[0] as string,
      http: {
        method: request.method,
        path: request.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.10',
        userAgent: request.headers['user-agent'] ?? '',
      },
      requestId: kind === 'function-url' ? context.id() : `${shortId(context.id, 14)}=`,
      routeKey,
      stage: '$default',
      time: apiGatewayTime(context.at),
      timeEpoch: context.at.getTime(),
    },
    ...(options.pathParameters === undefined ? {} : { pathParameters: { ...options.pathParameters } }),
    ...(request.body === undefined ? {} : { body: request.body }),
    isBase64Encoded: false,
  }
}

const multiValue = (values: Record<string, string>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, [value]]))

const restApiEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  const apiId = shortId(context.id)
  const host = `${apiId}.execute-api.${context.region}.amazonaws.com`
  const request = httpRequest(options, host)
  const resource = options.route?.replace(/^[A-Z]+\s+/, '') ?? request.rawPath
  // REST APIs pass header names as the client wrote them; curl writes these capitalized.
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name.replace(/(^|-)([a-z])/g, (s) => s.toUpperCase()),
      value,
    ]),
  )
  return {
    resource,
    path: request.rawPath,
    httpMethod: request.method,
    headers,
    multiValueHeaders: multiValue(headers),
    queryStringParameters: request.query ?? null,
    multiValueQueryStringParameters: request.query === undefined ? null : multiValue(request.query),
    pathParameters: options.pathParameters === undefined ? null : { ...options.pathParameters },
    stageVariables: null,
    requestContext: {
      accountId: context.account,
      apiId,
      authorizer: null,
      domainName: host,
      domainPrefix: apiId,
      extendedRequestId: `${shortId(context.id, 14)}=`,
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.10',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/prod${request.rawPath}`,
      protocol: 'HTTP/1.1',
      requestId: context.id(),
      requestTime: apiGatewayTime(context.at),
      requestTimeEpoch: context.at.getTime(),
      resourceId: shortId(context.id, 6),
      resourcePath: resource,
      stage: 'prod',
    },
    body: request.body ?? null,
    isBase64Encoded: false,
  }
}

const albEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  const request = httpRequest(
    options,
    `orders-alb-${shortId(context.id, 9)}.${context.region}.elb.amazonaws.com`,
  )
  const targetGroup = options.targetGroup ?? 'orders-targets'
  return {
    requestContext: {
      elb: {
        targetGroupArn: `arn:aws:elasticloadbalancing:${context.region}:${context.account}:targetgroup/${targetGroup}/${shortId(context.id, 16)}`,
      },
    },
    httpMethod: request.method,
    path: request.rawPath,
    queryStringParameters: request.query ?? {},
    headers: {
      ...request.headers,
      'x-amzn-trace-id': `Root=1-${shortId(context.id, 8)}-${shortId(context.id, 24)}`,
    },
    body: request.body ?? '',
    isBase64Encoded: false,
  }
}

const sqsEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  const queue = options.queue ?? 'orders-queue'
  const body = textOf(options.body) ?? JSON.stringify({ orderId: '1001', status: 'created' })
  const sent = String(context.at.getTime())
  return {
    Records: [
      {
        messageId: context.id(),
        receiptHandle: `AQEB${Buffer.from(context.id()).toString('base64')}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: sent,
          SenderId: 'AIDAIENQZJOLO23YVJ4VO',
          ApproximateFirstReceiveTimestamp: sent,
        },
        messageAttributes: {},
        md5OfBody: md5(body),
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${context.region}:${context.account}:${queue}`,
        awsRegion: context.region,
      },
    ],
  }
}

const snsEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  const topicArn = `arn:aws:sns:${context.region}:${context.account}:${options.topic ?? 'orders-topic'}`
  const subscription = context.id()
  return {
    Records: [
      {
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${subscription}`,
        EventSource: 'aws:sns',
        Sns: {
          SignatureVersion: '1',
          Timestamp: context.at.toISOString(),
          Signature: 'EXAMPLE',
          SigningCertUrl: `https://sns.${context.region}.amazonaws.com/SimpleNotificationService-example.pem`,
          MessageId: context.id(),
          Message: textOf(options.message) ?? JSON.stringify({ orderId: '1001', status: 'shipped' }),
          MessageAttributes: {},
          Type: 'Notification',
          UnsubscribeUrl: `https://sns.${context.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:${subscription}`,
          TopicArn: topicArn,
          Subject: options.subject ?? 'Order update',
        },
      },
    ],
  }
}

const s3Event = (options: SampleEventOptions) => {
  const context = contextOf(options)
  const bucket = options.bucket ?? 'orders-uploads'
  const key = options.key ?? 'invoices/2026/1001.pdf'
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: context.region,
        eventTime: context.at.toISOString(),
        eventName: options.s3EventName ?? 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAINPONIXQXHT3IKHL2' },
        requestParameters: { sourceIPAddress: '203.0.113.10' },
        responseElements: {
          'x-amz-request-id': shortId(context.id, 16).toUpperCase(),
          'x-amz-id-2': Buffer.from(context.id()).toString('base64'),
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'orders-uploads-notification',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            // S3 sends the key URL-encoded, spaces as `+`.
            key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'),
            size: options.size ?? 1024,
            eTag: md5(key),
            sequencer: context.at.getTime().toString(16).toUpperCase().padStart(18, '0'),
          },
        },
      },
    ],
  }
}

const eventBridgeEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  return {
    version: '0',
    id: context.id(),
    'detail-type': options.detailType ?? 'Order Created',
    source: options.source ?? 'com.example.orders',
    account: context.account,
    time: eventBridgeTime(context.at),
    region: context.region,
    resources: [] as string[],
    detail: (options.detail ?? { orderId: '1001', total: 42.5 }) as Record<string, unknown>,
  }
}

const scheduledEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  return {
    version: '0',
    id: context.id(),
    'detail-type': 'Scheduled Event' as const,
    source: 'aws.events',
    account: context.account,
    time: eventBridgeTime(context.at),
    region: context.region,
    resources: [
      `arn:aws:events:${context.region}:${context.account}:rule/${options.schedule ?? 'every-5-minutes'}`,
    ],
    detail: {} as Record<string, unknown>,
  }
}

/**
 * Marshals a plain value into a DynamoDB attribute value: strings `S`, numbers `N`, booleans `BOOL`,
 * null `NULL`, arrays `L`, objects `M`.
 *
 * @example
 * ```ts
 * toAttributeValue({ id: '1', total: 4.5 }) // { M: { id: { S: '1' }, total: { N: '4.5' } } }
 * ```
 */
export const toAttributeValue = (value: unknown): DynamoAttributeValue => {
  if (typeof value === 'string') return { S: value }
  if (typeof value === 'number' || typeof value === 'bigint') return { N: String(value) }
  if (typeof value === 'boolean') return { BOOL: value }
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) }
  if (typeof value === 'object' && value !== null)
    return { M: toAttributeMap(value as Record<string, unknown>) }
  return { NULL: true }
}

const toAttributeMap = (values: Readonly<Record<string, unknown>>): Record<string, DynamoAttributeValue> =>
  Object.fromEntries(Object.entries(values).map(([name, value]) => [name, toAttributeValue(value)]))

const dynamodbEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  const table = options.table ?? 'orders'
  const keys = options.keys ?? { id: '1001' }
  const newImage =
    options.newImage ?? (options.dynamodbEventName === 'REMOVE' ? undefined : { ...keys, status: 'created' })
  const eventName = options.dynamodbEventName ?? (options.oldImage === undefined ? 'INSERT' : 'MODIFY')
  const streamLabel = eventBridgeTime(context.at).replace(/Z$/, '.000')
  return {
    Records: [
      {
        eventID: shortId(context.id, 32),
        eventName,
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: context.region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(context.at.getTime() / 1000),
          Keys: toAttributeMap(keys),
          ...(newImage === undefined ? {} : { NewImage: toAttributeMap(newImage) }),
          ...(options.oldImage === undefined ? {} : { OldImage: toAttributeMap(options.oldImage) }),
          SequenceNumber: String(context.at.getTime()).padStart(21, '1'),
          SizeBytes: JSON.stringify({ keys, newImage, oldImage: options.oldImage }).length,
          StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
        },
        eventSourceARN: `arn:aws:dynamodb:${context.region}:${context.account}:table/${table}/stream/${streamLabel}`,
      },
    ],
  }
}

const kinesisEvent = (options: SampleEventOptions) => {
  const context = contextOf(options)
  const stream = options.stream ?? 'orders-stream'
  const data = textOf(options.data) ?? JSON.stringify({ orderId: '1001', status: 'created' })
  const sequenceNumber = `4959${String(context.at.getTime()).padStart(52, '0')}`
  return {
    Records: [
      {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: options.partitionKey ?? '1001',
          sequenceNumber,
          data: Buffer.from(data).toString('base64'),
          approximateArrivalTimestamp: context.at.getTime() / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${context.account}:role/orders-consumer-role`,
        awsRegion: context.region,
        eventSourceARN: `arn:aws:kinesis:${context.region}:${context.account}:stream/${stream}`,
      },
    ],
  }
}

const BUILDERS = {
  'http-api': (options: SampleEventOptions) => httpApiEvent(options, 'http-api'),
  'rest-api': restApiEvent,
  'function-url': (options: SampleEventOptions) => httpApiEvent(options, 'function-url'),
  alb: albEvent,
  sqs: sqsEvent,
  sns: snsEvent,
  s3: s3Event,
  eventbridge: eventBridgeEvent,
  dynamodb: dynamodbEvent,
  kinesis: kinesisEvent,
  schedule: scheduledEvent,
} as const

/** The sources `sampleEvent` knows. */
export type EventSourceName = keyof typeof BUILDERS

/** The event type of each source (structurally the `@types/aws-lambda` type: a test checks it). */
export type SampleEvent<S extends EventSourceName> = ReturnType<(typeof BUILDERS)[S]>

/** A source, what it is and which options it reads: for `lambda-lifetime event --help`. */
export interface EventSourceInfo {
  readonly name: EventSourceName
  readonly description: string
  readonly options: readonly (keyof SampleEventOptions)[]
}

const HTTP_OPTIONS = ['method', 'path', 'route', 'pathParameters', 'headers', 'query', 'body'] as const

/** Every source with a one-line description and the options it reads, in `--help` order. */
export const EVENT_SOURCES: readonly EventSourceInfo[] = [
  {
    name: 'http-api',
    description: 'API Gateway HTTP API request (payload format 2.0)',
    options: HTTP_OPTIONS,
  },
  {
    name: 'rest-api',
    description: 'API Gateway REST API request (payload format 1.0)',
    options: HTTP_OPTIONS,
  },
  {
    name: 'function-url',
    description: 'Lambda Function URL request (payload format 2.0)',
    options: HTTP_OPTIONS,
  },
  {
    name: 'alb',
    description: 'Application Load Balancer request to a Lambda target',
    options: ['method', 'path', 'headers', 'query', 'body', 'targetGroup'],
  },
  { name: 'sqs', description: 'SQS queue message batch (one record)', options: ['queue', 'body'] },
  { name: 'sns', description: 'SNS topic notification', options: ['topic', 'message', 'subject'] },
  {
    name: 's3',
    description: 'S3 object notification (ObjectCreated:Put)',
    options: ['bucket', 'key', 'size', 's3EventName'],
  },
  {
    name: 'eventbridge',
    description: 'EventBridge event from a custom bus',
    options: ['detailType', 'source', 'detail'],
  },
  {
    name: 'dynamodb',
    description: 'DynamoDB Streams record (INSERT, MODIFY or REMOVE)',
    options: ['table', 'keys', 'newImage', 'oldImage', 'dynamodbEventName'],
  },
  {
    name: 'kinesis',
    description: 'Kinesis Data Streams record',
    options: ['stream', 'data', 'partitionKey'],
  },
  {
    name: 'schedule',
    description: 'Scheduled event of an EventBridge rule (rate or cron)',
    options: ['schedule'],
  },
]

/**
 * A sample event of a source, with the options applied. An unknown source is a `TypeError` that lists
 * the known ones.
 *
 * @example
 * ```ts
 * sampleEvent('http-api', { method: 'POST', path: '/orders', body: { item: 'book' } })
 * sampleEvent('s3', { bucket: 'uploads', key: 'a.png', region: 'eu-west-1' })
 * sampleEvent('sqs', { queue: 'jobs', body: 'hello', now: () => Date.parse('2026-12-04T12:00:00Z') })
 * ```
 */
export const sampleEvent = <S extends EventSourceName>(
  source: S,
  options: SampleEventOptions = {},
): SampleEvent<S> => {
  const builder = Object.hasOwn(BUILDERS, source) ? BUILDERS[source] : undefined
  if (builder === undefined) {
    throw new TypeError(
      `@lambda-lifetime/emulator: unknown event source ${JSON.stringify(source)}; known: ${Object.keys(BUILDERS).join(', ')}`,
      { cause: { package: '@lambda-lifetime/emulator' } },
    )
  }
  return builder(options) as SampleEvent<S>
}
