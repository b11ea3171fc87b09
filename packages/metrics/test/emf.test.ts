import { describe, expect, it } from '@jest/globals'
import { emfProblems } from './emf.js'

/** The checker the other tests rely on finds what breaks the EMF specification. */
type Directive = { Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }
const directiveOf = (doc: { _aws: { CloudWatchMetrics: Directive[] } }): Directive =>
  doc._aws.CloudWatchMetrics[0] as Directive

describe('emfProblems: the EMF specification as checks', () => {
  const valid = () => ({
    _aws: {
      Timestamp: 1796401150628,
      CloudWatchMetrics: [
        {
          Namespace: 'shop',
          Dimensions: [['service']],
          Metrics: [{ Name: 'ContainerAge', Unit: 'Milliseconds' }],
        },
      ],
    },
    service: 'orders',
    ContainerAge: 1422,
  })

  it('accepts a valid document', () => {
    expect(emfProblems(valid())).toEqual([])
  })

  it.each([
    ['no _aws', (doc: ReturnType<typeof valid>) => ({ ...doc, _aws: undefined })],
    [
      'a fractional timestamp',
      (doc: ReturnType<typeof valid>) => ({ ...doc, _aws: { ...doc._aws, Timestamp: 1.5 } }),
    ],
    [
      'a unit outside the list',
      (doc: ReturnType<typeof valid>) => {
        directiveOf(doc).Metrics = [{ Name: 'ContainerAge', Unit: 'Millis' }]
        return doc
      },
    ],
    [
      'an empty namespace',
      (doc: ReturnType<typeof valid>) => {
        directiveOf(doc).Namespace = ''
        return doc
      },
    ],
    [
      '31 dimensions in a set',
      (doc: ReturnType<typeof valid>) => {
        directiveOf(doc).Dimensions = [Array.from({ length: 31 }, (_, i) => `d${i}`)]
        return doc
      },
    ],
    [
      '101 metrics',
      (doc: ReturnType<typeof valid>) => {
        directiveOf(doc).Metrics = Array.from({ length: 101 }, (_, i) => ({
          Name: `m${i}`,
          Unit: 'Count',
        }))
        return doc
      },
    ],
    ['a dimension without a value', (doc: ReturnType<typeof valid>) => ({ ...doc, service: undefined })],
    [
      'a metric without a numeric value',
      (doc: ReturnType<typeof valid>) => ({ ...doc, ContainerAge: '1422' }),
    ],
  ])('rejects %s', (_name, breakIt) => {
    expect(emfProblems(breakIt(valid()))).not.toEqual([])
  })
})
