import { describe, expect, it } from 'vitest'
import { colorEnabled, makeStyle, visibleWidth } from '../../../src/cli/io.js'
import { table } from '../../../src/cli/table.js'

describe('terminal output', () => {
  const tty = { write: () => true, isTTY: true }
  const pipe = { write: () => true, isTTY: false }

  it('colours only on a TTY, unless NO_COLOR, FORCE_COLOR or the flags say otherwise', () => {
    expect(colorEnabled(tty, {}, {})).toBe(true)
    expect(colorEnabled(pipe, {}, {})).toBe(false)
    expect(colorEnabled(tty, { NO_COLOR: '1' }, {})).toBe(false)
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' }, {})).toBe(true)
    expect(colorEnabled(pipe, {}, { color: true })).toBe(true)
    expect(colorEnabled(tty, { FORCE_COLOR: '1' }, { noColor: true })).toBe(false)
  })

  it('aligns table columns by visible width, escapes excluded', () => {
    const s = makeStyle(true)
    const text = table(['a', 'bb'], [[s.red('xyz'), '1'], ['q', '22']], makeStyle(false))
    expect(text.split('\n').map(visibleWidth)).toEqual([7, 6, 7, 0])
    expect(text.replace(/\u001b\[[0-9;]*m/g, '')).toBe('a    bb\nxyz  1\nq    22\n')
  })
})
