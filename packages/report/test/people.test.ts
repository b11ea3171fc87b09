import { describe, expect, it } from '@jest/globals'
import { BIN_FLAGS, buildReport, renderHtml, renderTable } from '@lambda-lifetime/report'
import { lifecycleLine } from './fixtures.js'

const CONTAINER = '3f2b9c1e-7d4a-4c2b-9e8f-0a1b2c3d4e5f'

const end = (at: number, invocation: number, fields: Record<string, unknown>) =>
  lifecycleLine({
    at,
    container: CONTAINER,
    environment: '2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef',
    startedAt: 0,
    fields: { event: 'invocation.end', invocation, ...fields },
  })

describe('what a person reads in the report (issue 11, bugs 7 and 8)', () => {
  it('counts 4xx answers as client errors, apart from thrown errors and 5xx answers', async () => {
    // Prepare: the logger writes outcome and status_code; a 4xx failure also goes out at warn
    const lines = [
      end(1_000, 1, { outcome: 'success', status_code: 200 }),
      end(2_000, 2, { outcome: 'error', status_code: 400, level: 'WARN' }),
      end(3_000, 3, { outcome: 'success', status_code: 404 }),
      end(4_000, 4, { outcome: 'error', error_name: 'TypeError' }),
      end(5_000, 5, { outcome: 'success', status_code: 502 }),
      end(6_000, 6, { outcome: 'error', status_code: 500 }),
    ]

    // Act
    const model = await buildReport(lines, { bins: 1_000 })
    const table = renderTable(model)
    const html = renderHtml(model)

    // Assess
    expect(model.containers[0]).toMatchObject({ invocations: 6, errors: 3, clientErrors: 2 })
    expect(model.summary).toMatchObject({ errors: 3, clientErrors: 2 })
    const flags = model.containers[0]?.activity.flags ?? []
    expect(flags.filter((flag) => flag & BIN_FLAGS.clientError)).toHaveLength(2)
    expect(flags.filter((flag) => flag & BIN_FLAGS.error)).toHaveLength(3)
    expect(table).toMatch(
      /errors\s+3 thrown or 5xx \(50\.00%\), 2 client errors \(4xx, 33\.33%\), 0 timeout warnings/,
    )
    const timeline = html.slice(html.indexOf('<div class="chart">'))
    expect(timeline.match(/class="tick client-error"/g)).toHaveLength(2)
    expect(timeline.match(/class="tick error"/g)).toHaveLength(3)
    expect(html).toContain('3 errors, 2 client errors (4xx)')
    expect(html).toContain('with client errors (4xx)')
  })

  it('shows a container by the first 8 hex digits of its id, in the table and in the HTML', async () => {
    // Act
    const model = await buildReport([end(1_000, 1, { outcome: 'success' })])
    const table = renderTable(model)
    const html = renderHtml(model)

    // Assess
    expect(table).toMatch(/\n {2}orders-api {2}3f2b9c1e {2}/)
    expect(table).not.toContain('3f2b9c1e-')
    expect(html).toContain('>3f2b9c1e</text>')
    expect(html).toContain(`container ${CONTAINER}`)
  })
})
