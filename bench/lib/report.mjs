// Turns run results into the Markdown table (with ratios against kafka-wire) and the SVG chart.

const fmtInt = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'))
const fmt = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))

/** "100 B, acks=1, none", "100 B, acks=all, none, idempotent" */
export function scenarioLabel(sc) {
  const size = sc.valueSize >= 1024 && sc.valueSize % 1024 === 0 ? `${sc.valueSize / 1024} KiB` : `${sc.valueSize} B`
  return `${size}, acks=${sc.acks}, ${sc.compression}${sc.idempotence ? ', idempotent' : ''}`
}

const ok = (r) => r.status === 'ok'
/** kafka-wire's own rows (the callback form "kafka-wire" and "kafka-wire-promise"): never a peer. */
const ours = (r) => r.client === 'kafka-wire' || r.client.startsWith('kafka-wire-')

/** kafka-wire's records/s divided by the client's, for one scenario ("kw ÷ client"). */
function ratio(kw, r, key) {
  if (!kw || !ok(kw) || !ok(r) || !r[key] || !kw[key]) return null
  return kw[key] / r[key]
}

/** The Markdown table: one row per client per scenario, ratios relative to kafka-wire; `header` lines (CPU pinning) first. */
export function markdownTable(results, scenarios, header = []) {
  const head = [
    '| scenario | client | records/s | MB/s | kafka-wire ÷ client (records/s) | ack p50 / p99 / max ms | CPU s per 1M records | client CPU ÷ kafka-wire CPU | peak RSS MiB | end offsets |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|---|',
  ]
  const rows = []
  const goals = []
  for (const sc of scenarios) {
    const mine = results.filter((r) => r.scenario.id === sc.id)
    const kw = mine.find((r) => r.client === 'kafka-wire')
    for (const r of mine) {
      if (r.status === 'cannot run' || r.status === 'failed' || r.status === 'skipped') {
        rows.push(`| ${scenarioLabel(sc)} | ${r.client} | ${r.status}: ${r.reason.replace(/\|/g, '/').slice(0, 160)} | | | | | | | |`)
        continue
      }
      const rr = ratio(kw, r, 'recordsPerSec')
      const cpuRatio = kw && ok(kw) && ok(r) && kw.cpuSecPerMillion ? r.cpuSecPerMillion / kw.cpuSecPerMillion : null
      const lat = r.latency ? `${fmt(r.latency.p50)} / ${fmt(r.latency.p99)} / ${fmt(r.latency.max)}` : 'not reported'
      const check = r.status === 'ok' ? `ok (${fmtInt(r.endOffsets)})` : `**INVALID**: ${r.reason}`
      rows.push(
        `| ${scenarioLabel(sc)} | ${r.client} | ${fmtInt(r.recordsPerSec)} | ${fmt(r.mbPerSec)} | ${rr === null ? '–' : `${fmt(rr, 2)}x`} | ${lat} | ${fmt(r.cpuSecPerMillion, 2)} | ${cpuRatio === null ? '–' : `${fmt(cpuRatio, 2)}x`} | ${fmt(r.maxRssMb, 0)} | ${check} |`,
      )
    }
    for (const form of mine.filter((r) => ours(r) && ok(r))) goals.push(goalLine(sc, form, mine))
  }
  const out = [...(header.length > 0 ? [...header, ''] : []), ...head, ...rows]
  if (goals.length > 0) out.push('', 'Goals (issue 8): records/s ≥ 1.0x the fastest other client, ≥ 3x @platformatic/kafka, ≥ 5x KafkaJS; CPU per record ≤ 0.5x the best other JavaScript client.', '', ...goals)
  return out.join('\n')
}

function goalLine(sc, kw, mine) {
  const others = mine.filter((r) => !ours(r) && ok(r))
  const parts = []
  const fastest = others.reduce((a, r) => (a === null || r.recordsPerSec > a.recordsPerSec ? r : a), null)
  const mark = (v, goal) => (v === null ? 'n/a' : `${fmt(v, 2)}x ${v >= goal ? 'met' : 'MISSED'}`)
  if (fastest) parts.push(`vs fastest (${fastest.client}) ${mark(kw.recordsPerSec / fastest.recordsPerSec, 1)}`)
  const pf = others.find((r) => r.client === 'platformatic')
  parts.push(`vs platformatic ${mark(pf ? kw.recordsPerSec / pf.recordsPerSec : null, 3)}`)
  const kj = others.find((r) => r.client === 'kafkajs')
  parts.push(`vs kafkajs ${mark(kj ? kw.recordsPerSec / kj.recordsPerSec : null, 5)}`)
  const js = others.filter((r) => r.language === 'js' && r.cpuSecPerMillion)
  const bestJs = js.reduce((a, r) => (a === null || r.cpuSecPerMillion < a.cpuSecPerMillion ? r : a), null)
  if (bestJs && kw.cpuSecPerMillion) {
    const f = kw.cpuSecPerMillion / bestJs.cpuSecPerMillion
    parts.push(`CPU ${fmt(f, 2)}x of ${bestJs.client} ${f <= 0.5 ? 'met' : 'MISSED'}`)
    // node-rdkafka is a JavaScript client whose work happens in C; show the pure-JS best too
    const pure = js.filter((r) => r.client !== 'node-rdkafka').reduce((a, r) => (a === null || r.cpuSecPerMillion < a.cpuSecPerMillion ? r : a), null)
    if (pure && pure !== bestJs) parts.push(`(pure-JS best ${pure.client}: ${fmt(kw.cpuSecPerMillion / pure.cpuSecPerMillion, 2)}x)`)
  }
  return `- ${scenarioLabel(sc)}${kw.client === 'kafka-wire' ? '' : ` (${kw.client})`}: ${parts.join('; ')}`
}

const PALETTE = ['#d62728', '#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf']
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** A "nice" axis maximum and step (1, 2 or 5 times a power of ten). */
function niceScale(max) {
  if (max <= 0) return { top: 1, step: 0.2 }
  const raw = max / 5
  const pow = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow
  return { top: Math.ceil(max / step) * step, step }
}

/** Grouped bar chart: records/s per client (bars) per scenario (groups). Invalid runs are drawn hatched. */
export function svgChart(results, scenarios, clients, title) {
  const shown = clients.filter((c) => results.some((r) => r.client === c && (ok(r) || r.status === 'invalid')))
  const barW = 22
  const groupGap = 36
  const left = 90
  const top = 56
  const plotH = 300
  const groupW = Math.max(1, shown.length) * barW
  const minPlotW = Math.max(300, scenarios.length * (groupW + groupGap))
  const width = Math.max(left + minPlotW + 30, left + 4 * 150, title.length * 9 + 40)
  const plotW = width - left - 30
  const legendCols = Math.max(1, Math.floor((width - left) / 150))
  const legendH = 22 * Math.ceil(shown.length / legendCols) + 10
  const slot = plotW / Math.max(1, scenarios.length)
  const height = top + plotH + 70 + legendH
  const max = Math.max(0, ...results.filter((r) => r.recordsPerSec).map((r) => r.recordsPerSec))
  const { top: yTop, step } = niceScale(max)
  const y = (v) => top + plotH - (v / yTop) * plotH
  const o = []
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`)
  o.push('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/></pattern></defs>')
  o.push(`<rect width="${width}" height="${height}" fill="#fff"/>`)
  o.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`)
  for (let v = 0; v <= yTop + step / 2; v += step) {
    o.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`)
    o.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${esc(Math.round(v).toLocaleString('en-US'))}</text>`)
  }
  o.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">records/s (higher is better)</text>`)
  o.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#000"/>`)
  o.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#000"/>`)
  scenarios.forEach((sc, g) => {
    const gx = left + g * slot + (slot - groupW) / 2
    shown.forEach((c, i) => {
      const r = results.find((x) => x.scenario.id === sc.id && x.client === c)
      if (!r || !r.recordsPerSec) return
      const x = gx + i * barW
      const colour = PALETTE[clients.indexOf(c) % PALETTE.length]
      const fill = r.status === 'invalid' ? 'url(#hatch)' : colour
      o.push(`<rect x="${x + 2}" y="${y(r.recordsPerSec)}" width="${barW - 4}" height="${top + plotH - y(r.recordsPerSec)}" fill="${fill}" stroke="${colour}"><title>${esc(`${c}, ${scenarioLabel(sc)}: ${fmtInt(r.recordsPerSec)} records/s${r.status === 'invalid' ? ' (INVALID)' : ''}`)}</title></rect>`)
      const label = r.recordsPerSec >= 1e6 ? `${(r.recordsPerSec / 1e6).toFixed(1)}M` : `${Math.round(r.recordsPerSec / 1e3)}k`
      o.push(`<text x="${x + barW / 2}" y="${y(r.recordsPerSec) - 3}" text-anchor="middle" font-size="9">${label}</text>`)
    })
    o.push(`<text x="${gx + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle">${esc(scenarioLabel(sc))}</text>`)
  })
  o.push(`<text x="${left + plotW / 2}" y="${top + plotH + 40}" text-anchor="middle">scenario (record value size, acks, compression)</text>`)
  shown.forEach((c, i) => {
    const lx = left + (i % legendCols) * 150
    const ly = top + plotH + 58 + Math.floor(i / legendCols) * 22
    o.push(`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${PALETTE[clients.indexOf(c) % PALETTE.length]}"/>`)
    o.push(`<text x="${lx + 20}" y="${ly + 12}">${esc(c)}</text>`)
  })
  o.push('</svg>')
  return `${o.join('\n')}\n`
}

/** The microbenchmark rows (bench/micro.mjs --json) as Markdown. */
export function microTable(rows) {
  const v = (x) => (x === null ? '–' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1))
  return ['| microbenchmark (CPU only) | value | unit | note |', '|---|--:|---|---|', ...rows.map((r) => `| ${r.name} | ${v(r.value)} | ${r.unit} | ${r.note} |`)].join('\n')
}
