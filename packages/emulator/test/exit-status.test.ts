import { describe, expect, test } from '@jest/globals'
import { exitStatus } from '../src/exit-status.js'

describe('exitStatus', () => {
  test('signals are named as Go names them, as Lambda writes them', () => {
    expect(exitStatus(null, 'SIGKILL')).toBe('signal: killed')
    expect(exitStatus(null, 'SIGSEGV')).toBe('signal: segmentation fault')
    expect(exitStatus(null, 'SIGWINCH')).toBe('signal: SIGWINCH')
    expect(exitStatus(2, null)).toBe('exit status 2')
  })
})
