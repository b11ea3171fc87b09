import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { eventOptionsFromFlags, readEventInput } from '../../src/events/input.js'
import { sampleEvent } from '../../src/events/samples.js'

describe('eventOptionsFromFlags', () => {
  test('kebab-case flags, JSON objects, numbers, and text or JSON bodies', () => {
    // Act
    const http = eventOptionsFromFlags('http-api', {
      method: 'POST',
      path: '/orders',
      'path-parameters': '{"id":"7"}',
      headers: '{"x-tenant":"acme"}',
      body: '{"item":"book"}',
    })
    const s3 = eventOptionsFromFlags('s3', {
      bucket: 'uploads',
      key: 'a.png',
      size: '10',
      region: 'eu-west-1',
    })
    const sqs = eventOptionsFromFlags('sqs', { body: 'plain text', '--queue': 'jobs' })
    const events = eventOptionsFromFlags('eventbridge', { detail_type: 'Paid', detail: '{"id":1}' })

    // Assess
    expect(http).toEqual({
      method: 'POST',
      path: '/orders',
      pathParameters: { id: '7' },
      headers: { 'x-tenant': 'acme' },
      body: { item: 'book' },
    })
    expect(s3).toEqual({ bucket: 'uploads', key: 'a.png', size: 10, region: 'eu-west-1' })
    expect(sqs).toEqual({ body: 'plain text', queue: 'jobs' })
    expect(sampleEvent('eventbridge', events)).toMatchObject({ 'detail-type': 'Paid', detail: { id: 1 } })
  })

  test.each([
    [
      's3',
      { queue: 'jobs' },
      'event s3 has no option --queue; it takes --bucket, --key, --size, --s3EventName, --region, --accountId',
    ],
    ['s3', { size: '-1' }, '--size must be a whole number of bytes, got "-1"'],
    ['s3', { size: 'big' }, '--size must be a whole number of bytes, got "big"'],
    ['dynamodb', { keys: '[1]' }, '--keys must be a JSON object'],
    ['dynamodb', { keys: 'id=1' }, '--keys must be a JSON object'],
    ['nope', {}, 'unknown event source "nope"'],
  ])('%s %j is refused: %s', (source, flags, message) => {
    // Act / Assess
    expect(() => eventOptionsFromFlags(source as 's3', flags)).toThrow(message)
  })
})

describe('readEventInput', () => {
  let dir = ''
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'emulator-event-input-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  const noStdin = { readStdin: async () => '' }

  test('a file by path (relative to cwd) or file:// URL, standard input, or JSON as given', async () => {
    // Prepare
    writeFileSync(join(dir, 'event.json'), '{"from":"file"}')
    const io = { readStdin: async () => '{"from":"stdin"}\n', cwd: dir }

    // Act / Assess
    await expect(readEventInput('event.json', io)).resolves.toBe('{"from":"file"}')
    await expect(readEventInput(`file://${join(dir, 'event.json')}`, io)).resolves.toBe('{"from":"file"}')
    await expect(readEventInput('-', io)).resolves.toBe('{"from":"stdin"}\n')
    await expect(readEventInput('{"id":1}', io)).resolves.toBe('{"id":1}')
    await expect(readEventInput('42', io)).resolves.toBe('42')
  })

  test('empty standard input is an error, not an empty event', async () => {
    // Act / Assess
    await expect(readEventInput('-', noStdin)).rejects.toThrow('standard input is empty')
  })

  test('a missing file says so with its full path', async () => {
    // Act / Assess
    await expect(readEventInput('file://missing.json', { ...noStdin, cwd: dir })).rejects.toThrow(
      `cannot read the event file ${join(dir, 'missing.json')}: no such file`,
    )
    await expect(readEventInput('missing.json', { ...noStdin, cwd: dir })).rejects.toThrow(
      `the event "missing.json" is neither a file nor JSON (no such file: ${join(dir, 'missing.json')})`,
    )
  })

  test('a path that cannot be read as a file gives the reason', async () => {
    // Act / Assess: a folder named as a file
    await expect(readEventInput(`file://${dir}`, noStdin)).rejects.toThrow(
      `cannot read the event file ${dir}: EISDIR`,
    )
  })

  test('text that is not JSON names where it came from and why', async () => {
    // Prepare
    writeFileSync(join(dir, 'bad.json'), '{ nope')

    // Act / Assess
    await expect(readEventInput('bad.json', { ...noStdin, cwd: dir })).rejects.toThrow(
      new RegExp(`the event in ${join(dir, 'bad.json')} is not JSON: `),
    )
    await expect(readEventInput('{ nope', noStdin)).rejects.toThrow('the event in the argument is not JSON')
    await expect(readEventInput('-', { readStdin: async () => 'x' })).rejects.toThrow(
      'the event in standard input is not JSON',
    )
  })
})
