import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { buildReport, generateLifecycleLog, readLifecycleLines } from '@lambda-lifetime/report'

describe('generateLifecycleLog', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-generate-'))
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a file whose report matches the known answers', async () => {
    // Prepare
    const file = join(dir, 'day.log')

    // Act
    const answers = await generateLifecycleLog(
      { lines: 30_000, containers: 40, seed: 11, managedInstances: true },
      file,
    )
    const model = await buildReport(readLifecycleLines(file))

    // Assess
    expect(model.lines.total).toBe(answers.lines)
    expect(model.summary).toMatchObject({
      containers: 40,
      environments: answers.environments,
      invocations: answers.invocations,
      preInitialized: 40,
      coldStarts: 0,
      restarts: answers.restarts,
    })
  })

  it('writes to a stream it does not own, without ending it', async () => {
    // Prepare
    const stream = new PassThrough()
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))

    // Act
    const answers = await generateLifecycleLog({ lines: 200, containers: 2, noise: 0 }, stream)

    // Assess
    expect(stream.writableEnded).toBe(false)
    const lines = Buffer.concat(chunks)
      .toString()
      .split('\n')
      .filter((line) => line !== '')
    expect(lines).toHaveLength(answers.lines)
    expect(answers.skipped).toEqual({ platform: 0, text: 0, json: 0, invalid: 0, newerSchema: 0 })
    await expect(readFile(join(dir, 'day.log'), 'utf8')).resolves.toContain('"lifecycle_schema":1')
  })
})
