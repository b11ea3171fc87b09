import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readLifecycleLines } from '@lambda-lifetime/report'

const collect = async (lines: AsyncIterable<string>): Promise<string[]> => {
  const all: string[] = []
  for await (const line of lines) all.push(line)
  return all
}

describe('readLifecycleLines', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-read-'))
    await mkdir(join(dir, 'logs', 'env-b'), { recursive: true })
    await writeFile(join(dir, 'logs', 'env-a.log'), 'a1\na2\n')
    await writeFile(join(dir, 'logs', 'env-b', 'stream.log.gz'), gzipSync('b1\nb2'))
    await writeFile(join(dir, 'logs', '.hidden'), 'never\n')
    await writeFile(join(dir, 'single.log'), 'one\r\ntwo\rstill two\n')
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('reads folders recursively in name order, gzip included, hidden files left out', async () => {
    // Act
    const lines = await collect(readLifecycleLines(join(dir, 'logs')))

    // Assess
    expect(lines).toEqual(['a1', 'a2', 'b1', 'b2'])
  })

  it('splits on \\n only: a \\r inside a line is the runtime client escaping a newline', async () => {
    // Act
    const lines = await collect(readLifecycleLines([join(dir, 'single.log')]))

    // Assess
    expect(lines).toEqual(['one\r', 'two\rstill two'])
  })

  it('reads standard input for -, between files', async () => {
    // Prepare
    const stdin = Readable.from(['s1\ns', '2\n'])

    // Act
    const lines = await collect(readLifecycleLines(['-', join(dir, 'logs', 'env-a.log')], { stdin }))

    // Assess
    expect(lines).toEqual(['s1', 's2', 'a1', 'a2'])
  })

  it('reads any stream, keeping multi-byte characters split across chunks', async () => {
    // Prepare
    const stream = new PassThrough()
    const bytes = Buffer.from('héllo\nwörld')
    stream.write(bytes.subarray(0, 2))
    stream.end(bytes.subarray(2))

    // Act
    const lines = await collect(readLifecycleLines(stream))

    // Assess
    expect(lines).toEqual(['héllo', 'wörld'])
  })

  it('fails with the path when a file does not exist', async () => {
    // Act / Assess
    await expect(collect(readLifecycleLines(join(dir, 'missing.log')))).rejects.toThrow('missing.log')
  })
})
