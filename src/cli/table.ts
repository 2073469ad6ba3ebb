/** Plain aligned tables for `metadata`, `api-versions` and `broker status`. */
import { type Style, visibleWidth } from './io.js'

/** Renders `rows` under `headers`, columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], style: Style): string {
  const widths = headers.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visibleWidth(c))))
      .join('  ')
      .trimEnd()
  return [style.bold(line(headers)), ...rows.map(line)].join('\n') + '\n'
}
