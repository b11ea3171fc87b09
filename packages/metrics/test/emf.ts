/**
 * Captures what Powertools Metrics really prints, and checks each document against the CloudWatch
 * Embedded Metric Format specification (written here as a JSON schema, checked with ajv). With
 * `POWERTOOLS_DEV=true` (and `POWERTOOLS_METRICS_DISABLED=false`) a Metrics instance writes through the global `console` (bound when it is
 * created), so spying on `console.log` sees every document; each one is parsed as JSON.
 */
import { jest } from '@jest/globals'
import { Ajv } from 'ajv'

export type EmfDocument = Record<string, unknown> & {
  _aws: {
    Timestamp: number
    CloudWatchMetrics: Array<{
      Namespace: string
      Dimensions: string[][]
      Metrics: Array<{ Name: string; Unit: string }>
    }>
  }
}

/** The units EMF accepts (CloudWatch `StandardUnit`). */
const UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]

/** The specification's structure: _aws.Timestamp, CloudWatchMetrics directives, their limits. */
const EMF_SCHEMA = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      properties: {
        Timestamp: { type: 'integer', minimum: 0 },
        CloudWatchMetrics: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            properties: {
              Namespace: { type: 'string', minLength: 1, maxLength: 1024 },
              Dimensions: {
                type: 'array',
                items: {
                  type: 'array',
                  maxItems: 30,
                  items: { type: 'string', minLength: 1, maxLength: 250 },
                },
              },
              Metrics: {
                type: 'array',
                maxItems: 100,
                items: {
                  type: 'object',
                  required: ['Name'],
                  properties: {
                    Name: { type: 'string', minLength: 1, maxLength: 1024 },
                    Unit: { enum: UNITS },
                    StorageResolution: { enum: [1, 60] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
}

const validateSchema = new Ajv({ allErrors: true }).compile(EMF_SCHEMA)

const isMetricValue = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isFinite(value)) ||
  (Array.isArray(value) && value.length > 0 && value.length <= 100 && value.every((v) => Number.isFinite(v)))

/**
 * The problems of one document against the specification, empty when it is valid: the schema, plus
 * the rules a schema cannot say (every dimension and metric named is a top-level member, dimension
 * values are strings, metric values are numbers or arrays of at most 100 numbers).
 */
export const emfProblems = (document: unknown): string[] => {
  if (!validateSchema(document))
    return (validateSchema.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
  const emf = document as EmfDocument
  const problems: string[] = []
  for (const directive of emf._aws.CloudWatchMetrics) {
    for (const set of directive.Dimensions) {
      for (const name of set) {
        if (typeof emf[name] !== 'string') problems.push(`dimension ${name} has no string value`)
      }
    }
    for (const { Name } of directive.Metrics) {
      if (!isMetricValue(emf[Name])) problems.push(`metric ${Name} has no numeric value`)
    }
  }
  return problems
}

/** Starts capturing; returns the parsed documents. Restore with `jest.restoreAllMocks()`. */
export const captureEmf = (): EmfDocument[] => {
  process.env.POWERTOOLS_DEV = 'true'
  // POWERTOOLS_DEV alone turns Metrics off; this turns it back on, still writing through `console`.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false'
  const documents: EmfDocument[] = []
  jest.spyOn(console, 'log').mockImplementation((text: unknown) => {
    documents.push(JSON.parse(String(text)) as EmfDocument)
  })
  return documents
}

/** Names of the metrics a document holds. */
export const metricNames = (document: EmfDocument): string[] =>
  document._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((metric) => metric.Name))

/** The documents holding a metric. */
export const holding = (documents: EmfDocument[], name: string): EmfDocument[] =>
  documents.filter((document) => metricNames(document).includes(name))

/** Sum of a metric's values over the documents (array values summed too). */
export const total = (documents: EmfDocument[], name: string): number =>
  holding(documents, name)
    .flatMap((document) => [document[name]].flat() as number[])
    .reduce((sum, value) => sum + value, 0)
