/**
 * Renders decoded frames as text: one line per field with its offset, hex bytes, path and value.
 * Colours come from the {@link Style}, so the same code prints plain text off a terminal.
 */
import { type Style, visibleWidth } from '../io.js'
import type { DumpFrame, FieldRow } from './rows.js'

/** Bytes of hex per line. */
const HEX_PER_LINE = 8
/** Lines of hex shown for one field before eliding the rest. */
const MAX_HEX_LINES = 4
const HEX_WIDTH = HEX_PER_LINE * 3 - 1
const MAX_PATH_WIDTH = 84

function hexLine(bytes: Uint8Array, from: number, to: number): string {
  let s = ''
  for (let i = from; i < to; i++) s += (i > from ? ' ' : '') + (bytes[i] as number).toString(16).padStart(2, '0')
  return s
}

function offsetText(row: FieldRow, delta = 0): string {
  const text = (row.offset + delta).toString(16).padStart(4, '0')
  return row.decompressed === true ? `+${text}` : ` ${text}`
}

/** The text of one frame, ending with a newline. */
export function renderFrame(frame: DumpFrame, style: Style): string {
  const fields = frame.rows.filter((r): r is FieldRow => r.kind === 'field')
  const pathWidth = Math.min(MAX_PATH_WIDTH, Math.max(12, ...fields.map((f) => f.path.length)))
  const arrow = frame.direction === 'send' ? style.green('>>') : style.blue('<<')
  const peer = frame.broker === undefined ? '' : frame.direction === 'send' ? `  to ${frame.broker}` : `  from ${frame.broker}`
  const out: string[] = []
  const title = `${arrow} ${style.bold(frame.title)}  correlation_id=${frame.correlationId}${peer}  ${frame.size} bytes`
  out.push(`${title} ${style.dim('─'.repeat(Math.max(3, 100 - visibleWidth(title))))}`)
  for (const row of frame.rows) {
    if (row.kind === 'heading') {
      out.push(`  ${style.magenta(`── ${row.text}`)}`)
      continue
    }
    const shown = row.expanded === true ? Math.min(row.bytes.length, HEX_PER_LINE) : row.bytes.length
    const lines = Math.max(1, Math.ceil(shown / HEX_PER_LINE))
    const limit = Math.min(lines, MAX_HEX_LINES)
    for (let i = 0; i < limit; i++) {
      const hex = hexLine(row.bytes, i * HEX_PER_LINE, Math.min(shown, (i + 1) * HEX_PER_LINE)).padEnd(HEX_WIDTH)
      const offset = style.dim(offsetText(row, i * HEX_PER_LINE))
      if (i === 0) {
        const path = row.path.length > pathWidth ? `…${row.path.slice(row.path.length - pathWidth + 1)}` : row.path
        const value = row.check === false ? style.red(row.value) : style.yellow(row.value)
        const note = row.note === undefined ? '' : `  ${row.check === true ? style.green(row.note) : row.check === false ? style.red(row.note) : style.dim(row.note)}`
        out.push(`${offset}  ${style.dim(hex)}  ${style.cyan(path.padEnd(pathWidth))}  ${value}${note}`.trimEnd())
      } else {
        out.push(`${offset}  ${style.dim(hex)}`.trimEnd())
      }
    }
    const hidden = row.bytes.length - limit * HEX_PER_LINE
    if (hidden > 0) out.push(`${' '.repeat(7)}${style.dim(`… ${hidden} more bytes${row.expanded === true ? ', decoded below' : ''}`)}`)
  }
  return `${out.join('\n')}\n`
}
