import { createHash } from 'node:crypto'
import { describe, expect, test } from '@jest/globals'
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  DynamoDBStreamEvent,
  EventBridgeEvent,
  KinesisStreamEvent,
  LambdaFunctionURLEvent,
  S3Event,
  ScheduledEvent,
  SNSEvent,
  SQSEvent,
} from 'aws-lambda'
import {
  EVENT_SOURCES,
  type EventSourceName,
  sampleEvent,
  toAttributeValue,
} from '../../src/events/samples.js'

const NOW = Date.parse('2026-12-04T15:42:07.123Z')
/** Ids counted from 1: `00000000-0000-4000-8000-000000000001`, … */
const countedIds = (): (() => string) => {
  let count = 0
  return () => {
    count += 1
    return `00000000-0000-4000-8000-${String(count).padStart(12, '0')}`
  }
}
/** A clock and ids that make every sample the same from run to run. */
const fixed = {
  now: () => NOW,
  randomId: countedIds(),
  region: 'eu-west-1',
  accountId: '111122223333',
}

describe('every sample type-checks against @types/aws-lambda', () => {
  test('each source is assignable to its event type (checked by npm run typecheck)', () => {
    // Act: the annotations are the assertion; tsc refuses this file if a sample drifts from its type
    const httpApi: APIGatewayProxyEventV2 = sampleEvent('http-api')
    const restApi: APIGatewayProxyEvent = sampleEvent('rest-api')
    const functionUrl: LambdaFunctionURLEvent = sampleEvent('function-url')
    const alb: ALBEvent = sampleEvent('alb')
    const sqs: SQSEvent = sampleEvent('sqs')
    const sns: SNSEvent = sampleEvent('sns')
    const s3: S3Event = sampleEvent('s3')
    const eventBridge: EventBridgeEvent<string, Record<string, unknown>> = sampleEvent('eventbridge')
    const dynamodb: DynamoDBStreamEvent = sampleEvent('dynamodb')
    const kinesis: KinesisStreamEvent = sampleEvent('kinesis')
    const scheduled: ScheduledEvent = sampleEvent('schedule')

    // Assess: and at run time each has the fields its type requires
    expect(httpApi.version).toBe('2.0')
    expect(restApi.requestContext.identity.sourceIp).toBe('203.0.113.10')
    expect(functionUrl.requestContext.domainName).toMatch(/\.lambda-url\.us-east-1\.on\.aws$/)
    expect(alb.requestContext.elb.targetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:/)
    expect(sqs.Records).toHaveLength(1)
    expect(sns.Records[0]?.Sns.Type).toBe('Notification')
    expect(s3.Records[0]?.s3.s3SchemaVersion).toBe('1.0')
    expect(eventBridge['detail-type']).toBe('Order Created')
    expect(dynamodb.Records[0]?.dynamodb?.StreamViewType).toBe('NEW_AND_OLD_IMAGES')
    expect(kinesis.Records[0]?.kinesis.kinesisSchemaVersion).toBe('1.0')
    expect(scheduled.source).toBe('aws.events')
  })
})

describe('sampleEvent HTTP sources', () => {
  test('http-api: method, path, query, headers, JSON body, path parameters, route key', () => {
    // Act
    const event = sampleEvent('http-api', {
      ...fixed,
      method: 'post',
      path: '/orders/42?expand=items',
      query: { limit: '2' },
      headers: { 'X-Tenant': 'acme', Cookie: 'a=1; b=2' },
      body: { item: 'book' },
      route: 'POST /orders/{id}',
      pathParameters: { id: '42' },
    })

    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /orders/{id}',
      rawPath: '/orders/42',
      rawQueryString: 'expand=items&limit=2',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { expand: 'items', limit: '2' },
      pathParameters: { id: '42' },
      body: '{"item":"book"}',
      isBase64Encoded: false,
    })
    expect(event.headers).toMatchObject({
      'x-tenant': 'acme',
      'content-type': 'application/json',
      'content-length': '15',
    })
    expect(event.headers).not.toHaveProperty('cookie')
    expect(event.requestContext).toMatchObject({
      accountId: '111122223333',
      http: { method: 'POST', path: '/orders/42', protocol: 'HTTP/1.1', sourceIp: '203.0.113.10' },
      routeKey: 'POST /orders/{id}',
      stage: '$default',
      time: '04/Dec/2026:15:42:07 +0000',
      timeEpoch: NOW,
    })
    expect(event.requestContext.domainName).toBe(
      `${event.requestContext.apiId}.execute-api.eu-west-1.amazonaws.com`,
    )
  })

  test('http-api defaults: GET / with the route key made from them, no body, no query', () => {
    // Act
    const event = sampleEvent('http-api', { path: 'health' })

    // Assess
    expect(event.routeKey).toBe('GET /health')
    expect(event.rawPath).toBe('/health')
    expect(event).not.toHaveProperty('body')
    expect(event).not.toHaveProperty('queryStringParameters')
    expect(event).not.toHaveProperty('cookies')
  })

  test('function-url: $default route, anonymous account, a text body as is', () => {
    // Act
    const event = sampleEvent('function-url', { ...fixed, method: 'PUT', body: 'plain text' })

    // Assess
    expect(event.routeKey).toBe('$default')
    expect(event.requestContext.accountId).toBe('anonymous')
    expect(event.requestContext.requestId).toMatch(/^00000000-0000-4000-8000-/)
    expect(event.body).toBe('plain text')
    expect(event.headers['content-type']).toBeUndefined()
  })

  test('rest-api: resource from the route, multi-value maps, stage path, null when absent', () => {
    // Act
    const event = sampleEvent('rest-api', {
      ...fixed,
      path: '/orders/7?x=1',
      route: 'GET /orders/{id}',
      pathParameters: { id: '7' },
    })
    const bare = sampleEvent('rest-api', fixed)

    // Assess
    expect(event).toMatchObject({
      resource: '/orders/{id}',
      path: '/orders/7',
      httpMethod: 'GET',
      queryStringParameters: { x: '1' },
      multiValueQueryStringParameters: { x: ['1'] },
      pathParameters: { id: '7' },
      body: null,
    })
    expect(event.headers).toMatchObject({
      Host: expect.stringContaining('.execute-api.eu-west-1.'),
      'User-Agent': 'curl/8.7.1',
    })
    expect(event.multiValueHeaders.Accept).toEqual(['*/*'])
    expect(event.requestContext).toMatchObject({
      path: '/prod/orders/7',
      stage: 'prod',
      resourcePath: '/orders/{id}',
      requestTimeEpoch: NOW,
    })
    expect(bare).toMatchObject({
      resource: '/',
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
    })
  })

  test('alb: target group ARN in the region and account, empty body as ALB sends it', () => {
    // Act
    const event = sampleEvent('alb', { ...fixed, targetGroup: 'api', path: '/x' })

    // Assess
    expect(event.requestContext.elb.targetGroupArn).toMatch(
      /^arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup\/api\/[0-9a-f]{16}$/,
    )
    expect(event).toMatchObject({ httpMethod: 'GET', path: '/x', body: '', queryStringParameters: {} })
  })
})

describe('sampleEvent messaging and data sources', () => {
  test('sqs: queue ARN, body, MD5 of the body, sent time from the clock', () => {
    // Act
    const record = sampleEvent('sqs', { ...fixed, queue: 'jobs', body: 'hello' }).Records[0]

    // Assess
    expect(record).toMatchObject({
      body: 'hello',
      md5OfBody: createHash('md5').update('hello').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:jobs',
      awsRegion: 'eu-west-1',
      attributes: { SentTimestamp: String(NOW), ApproximateReceiveCount: '1' },
    })
  })

  test('sns: topic ARN, message (an object as JSON), subject, ISO time', () => {
    // Act
    const record = sampleEvent('sns', {
      ...fixed,
      topic: 'alerts',
      message: { level: 'high' },
      subject: 'Alarm',
    }).Records[0]

    // Assess
    expect(record?.EventSubscriptionArn).toMatch(/^arn:aws:sns:eu-west-1:111122223333:alerts:/)
    expect(record?.Sns).toMatchObject({
      TopicArn: 'arn:aws:sns:eu-west-1:111122223333:alerts',
      Message: '{"level":"high"}',
      Subject: 'Alarm',
      Timestamp: '2026-12-04T15:42:07.123Z',
    })
  })

  test('s3: bucket, key URL-encoded as S3 sends it, size, event name', () => {
    // Act
    const record = sampleEvent('s3', {
      ...fixed,
      bucket: 'uploads',
      key: 'my photos/a b.png',
      size: 5,
      s3EventName: 'ObjectRemoved:Delete',
    }).Records[0]

    // Assess
    expect(record).toMatchObject({
      awsRegion: 'eu-west-1',
      eventTime: '2026-12-04T15:42:07.123Z',
      eventName: 'ObjectRemoved:Delete',
      s3: {
        bucket: { name: 'uploads', arn: 'arn:aws:s3:::uploads' },
        object: { key: 'my+photos/a+b.png', size: 5 },
      },
    })
  })

  test('eventbridge: detail-type, source, detail, time without milliseconds', () => {
    // Act
    const event = sampleEvent('eventbridge', {
      ...fixed,
      detailType: 'Paid',
      source: 'shop',
      detail: { id: 1 },
    })

    // Assess
    expect(event).toMatchObject({
      'detail-type': 'Paid',
      source: 'shop',
      detail: { id: 1 },
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-12-04T15:42:07Z',
    })
  })

  test('dynamodb: keys and images marshalled, MODIFY when an old image is given, REMOVE without a new one', () => {
    // Act
    const modify = sampleEvent('dynamodb', {
      ...fixed,
      table: 'carts',
      keys: { id: 'c1' },
      newImage: { id: 'c1', total: 3, paid: true, items: ['a'], meta: { note: null } },
      oldImage: { id: 'c1', total: 2 },
    }).Records[0]
    const remove = sampleEvent('dynamodb', { ...fixed, dynamodbEventName: 'REMOVE' }).Records[0]
    const insert = sampleEvent('dynamodb', fixed).Records[0]

    // Assess
    expect(modify?.eventName).toBe('MODIFY')
    expect(modify?.eventSourceARN).toBe(
      'arn:aws:dynamodb:eu-west-1:111122223333:table/carts/stream/2026-12-04T15:42:07.000',
    )
    expect(modify?.dynamodb).toMatchObject({
      ApproximateCreationDateTime: Math.floor(NOW / 1000),
      Keys: { id: { S: 'c1' } },
      NewImage: {
        id: { S: 'c1' },
        total: { N: '3' },
        paid: { BOOL: true },
        items: { L: [{ S: 'a' }] },
        meta: { M: { note: { NULL: true } } },
      },
      OldImage: { id: { S: 'c1' }, total: { N: '2' } },
    })
    expect(remove?.eventName).toBe('REMOVE')
    expect(remove?.dynamodb).not.toHaveProperty('NewImage')
    expect(insert?.eventName).toBe('INSERT')
    expect(insert?.dynamodb?.NewImage).toEqual({ id: { S: '1001' }, status: { S: 'created' } })
  })

  test('kinesis: stream ARN, data base64-encoded, arrival time in seconds', () => {
    // Act
    const record = sampleEvent('kinesis', {
      ...fixed,
      stream: 'clicks',
      data: { page: '/' },
      partitionKey: 'u1',
    }).Records[0]

    // Assess
    expect(record?.eventSourceARN).toBe('arn:aws:kinesis:eu-west-1:111122223333:stream/clicks')
    expect(Buffer.from(record?.kinesis.data ?? '', 'base64').toString()).toBe('{"page":"/"}')
    expect(record?.kinesis).toMatchObject({ partitionKey: 'u1', approximateArrivalTimestamp: NOW / 1000 })
    expect(record?.eventID).toBe(`shardId-000000000000:${record?.kinesis.sequenceNumber}`)
  })

  test('schedule: the rule ARN and an empty detail', () => {
    // Act
    const event = sampleEvent('schedule', { ...fixed, schedule: 'nightly' })

    // Assess
    expect(event).toMatchObject({
      'detail-type': 'Scheduled Event',
      resources: ['arn:aws:events:eu-west-1:111122223333:rule/nightly'],
      detail: {},
    })
  })
})

describe('sampleEvent contract', () => {
  test('an unknown source is a TypeError listing the known ones', () => {
    // Act / Assess
    expect(() => sampleEvent('kafka' as EventSourceName)).toThrow(TypeError)
    expect(() => sampleEvent('kafka' as EventSourceName)).toThrow(
      '@lambda-lifetime/emulator: unknown event source "kafka"; known: http-api, rest-api, function-url, alb, sqs, sns, s3, eventbridge, dynamodb, kinesis, schedule',
    )
    expect(() => sampleEvent('toString' as EventSourceName)).toThrow(TypeError)
  })

  test('EVENT_SOURCES describes every source once, with options it really reads', () => {
    // Act
    const names = EVENT_SOURCES.map((source) => source.name)

    // Assess
    expect(names).toEqual([
      'http-api',
      'rest-api',
      'function-url',
      'alb',
      'sqs',
      'sns',
      's3',
      'eventbridge',
      'dynamodb',
      'kinesis',
      'schedule',
    ])
    for (const source of EVENT_SOURCES) {
      expect(source.description.length).toBeGreaterThan(10)
      expect(() => JSON.stringify(sampleEvent(source.name))).not.toThrow()
    }
  })

  test('the same clock and ids give the same event; a sample is plain JSON', () => {
    // Prepare
    // Act
    const first = sampleEvent('http-api', { now: () => NOW, randomId: countedIds() })
    const second = sampleEvent('http-api', { now: () => NOW, randomId: countedIds() })

    // Assess
    expect(second).toEqual(first)
    expect(JSON.parse(JSON.stringify(first))).toEqual(first)
  })

  test('toAttributeValue covers every kind of plain value', () => {
    // Act / Assess
    expect(toAttributeValue(10n)).toEqual({ N: '10' })
    expect(toAttributeValue(undefined)).toEqual({ NULL: true })
  })
})
