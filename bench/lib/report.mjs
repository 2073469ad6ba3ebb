// Turns run results into the Markdown table (with ratios against kafka-wire) and the SVG charts.

const fmtInt = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'))
const fmt = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d))

/**
 * "100 B, acks=1, none", "100 B, acks=all, none, idempotent", "100 B, acks=all, none, transactions of 1,000",
 * "1 KiB, acks=all, none, paced 10,000/s", "1 KiB, acks=all, none, SASL_SSL"
 */
export function scenarioLabel(sc) {
  const size = sc.valueSize >= 1024 && sc.valueSize % 1024 === 0 ? `${sc.valueSize / 1024} KiB` : `${sc.valueSize} B`
  const mode = sc.transactional ? `, transactions of ${fmtInt(sc.txnRecords)}` : sc.idempotence ? ', idempotent' : ''
  const paced = sc.rate ? `, paced ${fmtInt(sc.rate)}/s` : ''
  const secured = sc.security === 'sasl_ssl' ? ', SASL_SSL' : ''
  return `${size}, acks=${sc.acks}, ${sc.compression}${mode}${paced}${secured}`
}

const ok = (r) => r.status === 'ok'
/** kafka-wire's own rows (the callback form "kafka-wire" and "kafka-wire-promise"): never a peer. */
const ours = (r) => r.client === 'kafka-wire' || r.client.startsWith('kafka-wire-')
/** One of kafka-wire's send forms, which the goals are checked for: not the --baseline-dist build. */
const isForm = (r) => ours(r) && r.client !== 'kafka-wire-baseline'

/** kafka-wire's records/s divided by the client's, for one scenario ("kw ÷ client"). */
function ratio(kw, r, key) {
  if (!kw || !ok(kw) || !ok(r) || !r[key] || !kw[key]) return null
  return kw[key] / r[key]
}

/**
 * The Markdown table: one row per client per scenario, ratios relative to kafka-wire, then a goal
 * check per kafka-wire form and scenario. `header`: lines printed first (CPU pinning);
 * `bufferMemory` (bytes) for the RSS goal; `repeat` for the note on medians.
 */
export function markdownTable(results, scenarios, { header = [], bufferMemory = null, repeat = 1 } = {}) {
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
      const check =
        r.status !== 'ok' ? `**INVALID**: ${r.reason}` : r.txn ? `ok (${fmtInt(r.txn.committedRecords)} read_committed + ${fmtInt(r.txn.markers)} markers)` : `ok (${fmtInt(r.endOffsets)})`
      rows.push(
        `| ${scenarioLabel(sc)} | ${r.client} | ${fmtInt(r.recordsPerSec)} | ${fmt(r.mbPerSec)} | ${rr === null ? '–' : `${fmt(rr, 2)}x`} | ${lat} | ${fmt(r.cpuSecPerMillion, 2)} | ${cpuRatio === null ? '–' : `${fmt(cpuRatio, 2)}x`} | ${fmt(r.maxRssMb, 0)} | ${check} |`,
      )
    }
    for (const form of mine.filter((r) => isForm(r) && ok(r))) goals.push(goalLine(sc, form, mine, bufferMemory))
  }
  const out = [...(header.length > 0 ? [...header, ''] : []), ...head, ...rows]
  const txn = txnTable(results, scenarios)
  if (txn !== null) out.push('', txn)
  const paced = pacedTable(results, scenarios)
  if (paced !== null) out.push('', paced)
  const secured = securityTable(results, scenarios)
  if (secured !== null) out.push('', secured)
  if (goals.length > 0) {
    const latency = scenarios.some((sc) => sc.rate)
      ? 'At a fixed offered load (the paced scenarios): ack p50 and p99 each ≤ 1.0x the best other client that kept the rate (records/s goals do not apply there: every client is offered the same load).'
      : 'Ack latency at a fixed offered load: not checked in this run (no paced scenario: the full matrix has one, or --rate N).'
    out.push(
      '',
      `Goals (issue 15), per kafka-wire form and scenario, as measured ÷ goal bound: records/s ≥ 1.0x the fastest other client, ≥ 3x @platformatic/kafka, ≥ 5x KafkaJS; ` +
        `CPU s per 1M records ≤ 1.3x franz-go's; peak RSS ≤ bufferMemory + 64 MiB. ${latency} Figures are ${repeat > 1 ? `medians of ${repeat} runs` : 'from one run'} (the issue asks for medians of ≥ 5).`,
      '',
      ...goals,
    )
  }
  return out.join('\n')
}

/**
 * The goals of issue 15 as one table, a row per scenario and kafka-wire form (callback, promise):
 * each cell the measured ratio and met / missed (n/a: the peer did not run validly). The README's
 * summary; the per-scenario goal lines under the full table say the same with the peers' names.
 */
export function goalSummaryTable(results, scenarios, { bufferMemory = null } = {}) {
  const head = [
    '| scenario | kafka-wire form | records/s | ÷ fastest other (≥ 1x) | ÷ platformatic (≥ 3x) | ÷ KafkaJS (≥ 5x) | ack p50 / p99 ÷ best other (≤ 1x, paced) | CPU per record ÷ franz-go (≤ 1.3x) | peak RSS ÷ (bufferMemory + 64 MiB) (≤ 1x) | met |',
    '|---|---|--:|---|---|---|---|---|---|--:|',
  ]
  const rows = []
  for (const sc of scenarios) {
    const mine = results.filter((r) => r.scenario.id === sc.id)
    for (const kw of mine.filter(isForm)) {
      const form = kw.client === 'kafka-wire' ? 'callback' : kw.client.replace(/^kafka-wire-/, '')
      if (!ok(kw)) {
        rows.push(`| ${scenarioLabel(sc)} | ${form} | ${kw.status} | | | | | | | |`)
        continue
      }
      const { parts } = goalParts(sc, kw, mine, bufferMemory)
      const cell = (key) => parts.find((p) => p.key === key)?.short ?? '–'
      const checked = parts.filter((p) => p.met !== null)
      const latency = sc.rate ? `${cell('p50')} / ${cell('p99')}` : '–'
      rows.push(
        `| ${scenarioLabel(sc)} | ${form} | ${fmtInt(kw.recordsPerSec)} | ${sc.rate ? '–' : cell('fastest')} | ${sc.rate ? '–' : cell('platformatic')} | ${sc.rate ? '–' : cell('kafkajs')} | ${latency} | ${cell('cpu')} | ${cell('rss')} | ${checked.filter((p) => p.met).length} of ${checked.length} |`,
      )
    }
  }
  return [...head, ...rows].join('\n')
}

/** A scenario's results that ran to the end (valid or not), and kafka-wire's among them. */
function measuredIn(results, sc) {
  const mine = results.filter((r) => r.scenario.id === sc.id && (r.status === 'ok' || r.status === 'invalid'))
  return { mine, kw: mine.find((r) => r.client === 'kafka-wire') }
}

/**
 * Transactional scenarios (issue 14): records per transaction, transactions, commitTransaction()
 * wall time, and what the read_committed check found. null without a transactional scenario.
 */
export function txnTable(results, scenarios) {
  const txnScenarios = scenarios.filter((sc) => sc.transactional)
  if (txnScenarios.length === 0) return null
  const out = [
    'Transactions (issue 14): commit = the wall time of commitTransaction(), which sends the transaction\'s remaining records first ' +
      '(franz-go: Flush + EndTransaction(TryCommit)); kafka-wire ÷ client > 1x means kafka-wire\'s commits are slower. ' +
      'Java\'s ProducerPerformance ends a transaction by time (--transaction-duration-ms), not by record count, and does not time its commits; ' +
      'its mean is txn-commit-time-ns-total (--print-metrics) ÷ the transactions the coordinator counted (its epoch, bumped by every EndTxn under transaction version 2).',
    '',
    '| scenario | client | records/s | records per transaction | transactions | commit p50 / p99 / max ms | commit mean ms | kafka-wire ÷ client (commit p50) | read_committed check |',
    '|---|---|--:|--:|--:|--:|--:|--:|---|',
  ]
  for (const sc of txnScenarios) {
    const { mine, kw } = measuredIn(results, sc)
    for (const r of mine) {
      const t = r.txn ?? {}
      const lat = t.commitLatency ? `${fmt(t.commitLatency.p50)} / ${fmt(t.commitLatency.p99)} / ${fmt(t.commitLatency.max)}` : `n/a (${t.commitLatencyWhyNot ?? 'not reported'})`
      // measured commits only for the clients that time each one; Java's total covers its warm-up too
      const n = t.commitLatency?.count ?? t.transactions
      const mean = t.commitTotalMs !== null && t.commitTotalMs !== undefined && n ? t.commitTotalMs / n : null
      const per = t.txnRecords ? fmtInt(t.txnRecords) : t.recordsPerTransaction ? `${fmtInt(t.recordsPerTransaction)} (mean; ${sc.javaTxnMs} ms each)` : '–'
      const kwP50 = kw?.txn?.commitLatency?.p50
      const rr = kw && ok(kw) && ok(r) && kwP50 && t.commitLatency?.p50 ? `${fmt(kwP50 / t.commitLatency.p50, 2)}x` : '–'
      const from = t.transactionsFrom && t.transactionsFrom !== 'client' ? ' (coordinator epoch)' : ''
      const check = r.status === 'ok' ? `ok: ${fmtInt(t.committedRecords)} of ${fmtInt(t.committedRecords)} records` : `**INVALID**: ${r.reason}`
      out.push(`| ${scenarioLabel(sc)} | ${r.client} | ${fmtInt(r.recordsPerSec)} | ${per} | ${fmtInt(t.transactions)}${from} | ${lat} | ${fmt(mean)} | ${rr} | ${check} |`)
    }
  }
  return out.join('\n')
}

/**
 * Paced scenarios (issue 15): offered and achieved records/s, ack latency p50 / p99 / p99.9 / max at
 * that load, and how far behind its schedule the runner fell. null without a paced scenario.
 */
export function pacedTable(results, scenarios) {
  const pacedScenarios = scenarios.filter((sc) => sc.rate)
  if (pacedScenarios.length === 0) return null
  const out = [
    'Paced (issue 15): each runner offers the same records/s, record i due i / rate after the start (kafka-wire and franz-go: every due record sent, then a ≥ 1 ms timer; ' +
      'Java: ProducerPerformance --throughput, its own throttler); latency is send call to acknowledgement for every measured record (Java at ms resolution). ' +
      'A client kept the rate when its achieved records/s is 95-105% of it (below: it fell behind; above: it burst to catch up, as ProducerPerformance\'s throttler does after a slow start); one that did not is not a "best other" in the latency goals. kafka-wire ÷ client > 1x means kafka-wire is slower.',
    '',
    '| scenario | client | offered records/s | achieved | ack p50 / p99 / p99.9 / max ms | latency samples | kafka-wire ÷ client (p50 / p99) | schedule |',
    '|---|---|--:|--:|--:|--:|--:|---|',
  ]
  for (const sc of pacedScenarios) {
    const { mine, kw } = measuredIn(results, sc)
    for (const r of mine) {
      const l = r.latency
      const lat = l ? `${fmt(l.p50)} / ${fmt(l.p99)} / ${fmt(l.p999)} / ${fmt(l.max)}` : 'not reported'
      const rr = (q) => (kw && ok(kw) && ok(r) && kw.latency?.[q] && l?.[q] ? `${fmt(kw.latency[q] / l[q], 2)}x` : '–')
      const p = r.paced ?? {}
      const kept = p.sustained ? 'kept' : `**NOT KEPT** (${fmt((p.achievedRatio ?? 0) * 100, 0)}% of the rate)`
      const lag = p.maxLagMs === null || p.maxLagMs === undefined ? '' : `, max ${fmt(p.maxLagMs)} ms behind`
      const check = r.status === 'ok' ? '' : `; **INVALID**: ${r.reason}`
      out.push(`| ${scenarioLabel(sc)} | ${r.client} | ${fmtInt(sc.rate)} | ${fmtInt(r.recordsPerSec)} | ${lat} | ${fmtInt(l?.count)} | ${rr('p50')} / ${rr('p99')} | ${kept}${lag}${check} |`)
    }
  }
  return out.join('\n')
}

/**
 * SASL_SSL scenarios (issue 13: "throughput over SASL_SSL next to plaintext"): per client, records/s
 * and CPU per 1M records over SASL_SSL beside the same scenario over PLAINTEXT in this run (the id
 * without its -saslssl suffix), and the login each client used. null without a SASL_SSL scenario.
 */
export function securityTable(results, scenarios) {
  const secured = scenarios.filter((sc) => sc.security === 'sasl_ssl')
  if (secured.length === 0) return null
  const out = [
    'SASL_SSL (issue 13): TLS (the harness\'s test CA, hostname checked) + SASL on the broker\'s SASL_SSL listener, beside the same scenario over PLAINTEXT when this run has it; ' +
      'SASL_SSL ÷ plaintext < 1x is what security costs in records/s, > 1x in CPU. The harness\'s topic admin and end-offset check use the PLAINTEXT listener.',
    '',
    '| scenario | client | login | SASL_SSL records/s | plaintext records/s | SASL_SSL ÷ plaintext (records/s) | CPU s per 1M records SASL_SSL / plaintext | SASL_SSL ÷ plaintext (CPU) |',
    '|---|---|---|--:|--:|--:|--:|--:|',
  ]
  for (const sc of secured) {
    const twinId = sc.id.replace(/-saslssl$/, '')
    const twin = scenarios.find((x) => x.id === twinId)
    for (const r of results.filter((x) => x.scenario.id === sc.id && (x.status === 'ok' || x.status === 'invalid'))) {
      const p = twin ? results.find((x) => x.scenario.id === twinId && x.client === r.client && ok(x)) : undefined
      const login = r.sasl ? `${r.sasl.mechanism} (${r.sasl.username})${r.sasl.why ? `: ${r.sasl.why.replace(/\|/g, '/')}` : ''}` : '–'
      const plain = p ? fmtInt(p.recordsPerSec) : twin ? 'did not run validly' : 'not in this run'
      const rr = p && ok(r) ? `${fmt(r.recordsPerSec / p.recordsPerSec, 2)}x` : '–'
      const cpu = `${fmt(r.cpuSecPerMillion, 2)} / ${p ? fmt(p.cpuSecPerMillion, 2) : '–'}`
      const cr = p && ok(r) && r.cpuSecPerMillion && p.cpuSecPerMillion ? `${fmt(r.cpuSecPerMillion / p.cpuSecPerMillion, 2)}x` : '–'
      const check = r.status === 'ok' ? '' : ` (**INVALID**: ${r.reason})`
      out.push(`| ${scenarioLabel(sc)} | ${r.client} | ${login} | ${fmtInt(r.recordsPerSec)}${check} | ${plain} | ${rr} | ${cpu} | ${cr} |`)
    }
  }
  return out.join('\n')
}

const best = (rs, key, better) => rs.reduce((a, r) => (r[key] && (a === null || better(r[key], a[key])) ? r : a), null)

/** One goal: "name 0.75x (≥ 1.0x) MISSED"; `value` null → "n/a (why)". */
function goal(name, value, op, bound, why, key) {
  if (value === null || !Number.isFinite(value)) return { key, text: `${name} n/a (${why})`, short: 'n/a', met: null }
  const met = op === '≥' ? value >= bound : value <= bound
  return { key, text: `${name} ${fmt(value, 2)}x (${op} ${bound}x) ${met ? 'met' : 'MISSED'}`, short: `${fmt(value, 2)}x ${met ? 'met' : '**missed**'}`, met }
}

/**
 * The latency goals of a paced scenario (issue 15): kafka-wire's ack p50 and p99 ÷ the lowest of the
 * other clients that kept the offered rate (each percentile its own best), ≤ 1x. kafka-wire not
 * keeping the rate itself is a miss.
 */
function pacedGoals(kw, others) {
  const kept = others.filter((r) => r.paced?.sustained && r.latency)
  if (!kw.paced?.sustained) {
    const text = `kept the offered ${fmtInt(kw.paced?.rate)} records/s: no, ${fmt((kw.paced?.achievedRatio ?? 0) * 100, 0)}% (95-105%) MISSED`
    return [{ key: 'p50', text, short: 'rate not kept **missed**', met: false }]
  }
  return ['p50', 'p99'].map((q) => {
    const b = best(kept.filter((r) => r.latency[q] > 0), 'latency', (a, x) => a[q] < x[q])
    const why = others.length === 0 ? 'no other client ran validly' : 'no other client kept the rate'
    const who = b ? ` (${b.client}, ${fmt(b.latency[q])} ms; ${kw.client} ${fmt(kw.latency?.[q])} ms)` : ''
    return goal(`ack ${q} at the offered load vs best other${who}`, b && kw.latency?.[q] !== undefined ? kw.latency[q] / b.latency[q] : null, '≤', 1, why, q)
  })
}

/** The goals of one kafka-wire form in one scenario, each { key, text, short, met } (met null: not checkable). */
function goalParts(sc, kw, mine, bufferMemory) {
  const others = mine.filter((r) => !ours(r) && ok(r))
  const missing = (name) => {
    const r = mine.find((x) => x.client === name)
    return r ? `${name} ${r.status}` : `${name} not run`
  }
  const vs = (name) => others.find((r) => r.client === name) ?? null
  const fastest = best(others, 'recordsPerSec', (a, b) => a > b)
  const pf = vs('platformatic')
  const kj = vs('kafkajs')
  const fg = vs('franz-go')
  const parts = sc.rate
    ? pacedGoals(kw, others)
    : [
        goal(`records/s vs fastest other${fastest ? ` (${fastest.client})` : ''}`, fastest ? kw.recordsPerSec / fastest.recordsPerSec : null, '≥', 1, 'no other client ran validly', 'fastest'),
        goal('vs platformatic', pf ? kw.recordsPerSec / pf.recordsPerSec : null, '≥', 3, missing('platformatic'), 'platformatic'),
        goal('vs kafkajs', kj ? kw.recordsPerSec / kj.recordsPerSec : null, '≥', 5, missing('kafkajs'), 'kafkajs'),
      ]
  if (fastest && !sc.rate) parts[0].short = `${parts[0].short} (${fastest.client})`
  parts.push(goal('CPU per record vs franz-go', fg && kw.cpuSecPerMillion && fg.cpuSecPerMillion ? kw.cpuSecPerMillion / fg.cpuSecPerMillion : null, '≤', 1.3, fg ? 'CPU not measured' : missing('franz-go'), 'cpu'))
  const rssBoundMb = bufferMemory === null ? null : bufferMemory / 2 ** 20 + 64
  const rss = goal(`peak RSS ${fmt(kw.maxRssMb, 0)} MiB${rssBoundMb === null ? '' : ` vs ${fmt(rssBoundMb, 0)} MiB`}`, kw.maxRssMb && rssBoundMb ? kw.maxRssMb / rssBoundMb : null, '≤', 1, rssBoundMb === null ? 'bufferMemory not given' : 'RSS not measured', 'rss')
  parts.push(rss)
  return { parts, others }
}

function goalLine(sc, kw, mine, bufferMemory) {
  const { parts, others } = goalParts(sc, kw, mine, bufferMemory)
  const checked = parts.filter((p) => p.met !== null)
  let line = `- ${scenarioLabel(sc)}${kw.client === 'kafka-wire' ? '' : ` (${kw.client})`}: ${checked.filter((p) => p.met).length} of ${checked.length} met; ${parts.map((p) => p.text).join('; ')}`
  // issue 8's CPU goal, kept for comparison with earlier tables: ≤ 0.5x the best other JavaScript client
  const bestJs = best(others.filter((r) => r.language === 'js'), 'cpuSecPerMillion', (a, b) => a < b)
  if (bestJs && kw.cpuSecPerMillion) line += `; (issue 8: CPU vs best other JS client, ${bestJs.client}, ${fmt(kw.cpuSecPerMillion / bestJs.cpuSecPerMillion, 2)}x, goal ≤ 0.5x)`
  return line
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

/**
 * @typedef {object} Bar
 * @property {number} value  bar height in the chart's unit
 * @property {boolean} hatched  an INVALID run: drawn hatched in its client's colour
 * @property {string} label  the figure printed above the bar
 * @property {string} tooltip  the bar's <title>
 */

/**
 * Grouped bar chart, the drawing shared by every chart: one slot per series (a client, in `series`
 * order, so a client sits in the same place in every group) in each group (a scenario). `bars[g][s]`
 * null leaves the slot empty: a client that did not run or has no figure there is absent, never a
 * zero-height bar that would read as "0". The y axis starts at 0 and ends at a "nice" value above
 * the largest bar drawn.
 * @param {object} chart
 * @param {string} chart.title
 * @param {string} chart.yLabel  the axis caption, which says whether higher or lower is better
 * @param {(v: number, step: number) => string} chart.tick  the label of the y-axis tick at v (ticks are step apart)
 * @param {string} chart.xLabel  the caption under the group labels
 * @param {string[]} chart.groups  one label per group
 * @param {{ name: string, colour: string }[]} chart.series  the legend, one entry per slot
 * @param {(Bar | null)[][]} chart.bars  bars[group][series]
 * @returns {string}
 */
function groupedBarChart({ title, yLabel, tick, xLabel, groups, series, bars }) {
  const barW = 22
  const groupGap = 36
  const left = 90
  const top = 56
  const plotH = 300
  const groupW = Math.max(1, series.length) * barW
  const minPlotW = Math.max(300, groups.length * (groupW + groupGap))
  const width = Math.max(left + minPlotW + 30, left + 4 * 150, title.length * 9 + 40)
  const plotW = width - left - 30
  const legendCols = Math.max(1, Math.floor((width - left) / 150))
  const legendH = 22 * Math.ceil(series.length / legendCols) + 10
  const slot = plotW / Math.max(1, groups.length)
  const height = top + plotH + 70 + legendH
  const max = Math.max(0, ...bars.flat().map((b) => b?.value ?? 0))
  const { top: yTop, step } = niceScale(max)
  const y = (v) => top + plotH - (v / yTop) * plotH
  const o = []
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`)
  o.push('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/></pattern></defs>')
  o.push(`<rect width="${width}" height="${height}" fill="#fff"/>`)
  o.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`)
  for (let v = 0; v <= yTop + step / 2; v += step) {
    o.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`)
    o.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${esc(tick(v, step))}</text>`)
  }
  o.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`)
  o.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#000"/>`)
  o.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#000"/>`)
  groups.forEach((label, g) => {
    const gx = left + g * slot + (slot - groupW) / 2
    series.forEach(({ colour }, i) => {
      const b = bars[g]?.[i]
      if (!b) return
      const x = gx + i * barW
      const fill = b.hatched ? 'url(#hatch)' : colour
      o.push(`<rect x="${x + 2}" y="${y(b.value)}" width="${barW - 4}" height="${top + plotH - y(b.value)}" fill="${fill}" stroke="${colour}"><title>${esc(b.tooltip)}</title></rect>`)
      o.push(`<text x="${x + barW / 2}" y="${y(b.value) - 3}" text-anchor="middle" font-size="9">${esc(b.label)}</text>`)
    })
    o.push(`<text x="${gx + groupW / 2}" y="${top + plotH + 18}" text-anchor="middle">${esc(label)}</text>`)
  })
  o.push(`<text x="${left + plotW / 2}" y="${top + plotH + 40}" text-anchor="middle">${esc(xLabel)}</text>`)
  series.forEach(({ name, colour }, i) => {
    const lx = left + (i % legendCols) * 150
    const ly = top + plotH + 58 + Math.floor(i / legendCols) * 22
    o.push(`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${colour}"/>`)
    o.push(`<text x="${lx + 20}" y="${ly + 12}">${esc(name)}</text>`)
  })
  o.push('</svg>')
  return `${o.join('\n')}\n`
}

/** The clients that ran (validly or not) in any of `scenarios`, with their colours: a chart's legend and bar slots. */
function chartSeries(results, scenarios, clients) {
  const ids = new Set(scenarios.map((sc) => sc.id))
  return clients
    .filter((c) => results.some((r) => r.client === c && ids.has(r.scenario.id) && (ok(r) || r.status === 'invalid')))
    .map((name) => ({ name, colour: PALETTE[clients.indexOf(name) % PALETTE.length] }))
}

/**
 * The result of `client` in `sc` and the figure `pick` reads from it, or null (no bar) when the
 * client did not run there (cannot run, skipped, failed, not in the run) or the figure is not a finite
 * number (not measured, not reported).
 * @returns {{ r: object, v: number } | null}
 */
function measured(results, sc, client, pick) {
  const r = results.find((x) => x.scenario.id === sc.id && x.client === client)
  if (!r || !(ok(r) || r.status === 'invalid')) return null
  const v = pick(r)
  return typeof v === 'number' && Number.isFinite(v) ? { r, v } : null
}

/** A bar for `m` (null stays null); an invalid run is hatched, and its tooltip says so in words. */
const barOf = (m, label, tooltip) =>
  m === null ? null : { value: m.v, hatched: m.r.status === 'invalid', label, tooltip: `${tooltip}${m.r.status === 'invalid' ? ' (INVALID)' : ''}` }

/** A y tick with as many decimals as the step needs (step 0.2: "0.4", step 5: "10"), so float sums like 0.6000000000000001 print clean. */
const decimalTick = (v, step) => {
  const d = Math.max(0, -Math.floor(Math.log10(step)))
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
}

const SCENARIO_AXIS = 'scenario (record value size, acks, compression)'

/** Grouped bar chart: records/s per client (bars) per scenario (groups). Invalid runs are drawn hatched. */
export function svgChart(results, scenarios, clients, title) {
  const series = chartSeries(results, scenarios, clients)
  const bars = scenarios.map((sc) =>
    series.map(({ name }) => {
      // 0 records/s gets no bar either, as in the chart's first form: there was no run to speak of
      const m = measured(results, sc, name, (r) => r.recordsPerSec || null)
      const label = m === null ? '' : m.v >= 1e6 ? `${(m.v / 1e6).toFixed(1)}M` : `${Math.round(m.v / 1e3)}k`
      return barOf(m, label, `${name}, ${scenarioLabel(sc)}: ${fmtInt(m?.v)} records/s`)
    }),
  )
  // whole numbers on this axis (step ≥ 1 for any real run), as the chart always had them
  const tick = (v) => Math.round(v).toLocaleString('en-US')
  return groupedBarChart({ title, yLabel: 'records/s (higher is better)', tick, xLabel: SCENARIO_AXIS, groups: scenarios.map(scenarioLabel), series, bars })
}

/**
 * Grouped bar chart: the client process's CPU seconds (user + sys, as measure.mjs reads them) per 1M
 * records sent, per client per scenario. No bar where the CPU was not measured (no waiter on the
 * machine) or the client did not run.
 */
export function cpuChart(results, scenarios, clients, title) {
  const series = chartSeries(results, scenarios, clients)
  const bars = scenarios.map((sc) =>
    series.map(({ name }) => {
      const m = measured(results, sc, name, (r) => r.cpuSecPerMillion)
      return barOf(m, fmt(m?.v, 2), `${name}, ${scenarioLabel(sc)}: ${fmt(m?.v, 2)} CPU s per 1M records`)
    }),
  )
  return groupedBarChart({ title, yLabel: 'client CPU s per 1M records (lower is better)', tick: decimalTick, xLabel: SCENARIO_AXIS, groups: scenarios.map(scenarioLabel), series, bars })
}

/**
 * Grouped bar chart of the paced scenarios (issue 15): ack latency p50 and p99 (result.latency, as in
 * pacedTable) per client, one group per scenario and percentile. A client that did not keep the offered
 * rate gets a "*": its latency is at another load than the others'. null when the run has no paced
 * result (no paced scenario, or none any client ran): then there is nothing to draw and no file.
 */
export function latencyChart(results, scenarios, clients, title) {
  const paced = scenarios.filter((sc) => sc.rate)
  const series = chartSeries(results, paced, clients)
  if (series.length === 0) return null
  const groups = paced.flatMap((sc) => ['p50', 'p99'].map((q) => ({ sc, q })))
  const bars = groups.map(({ sc, q }) =>
    series.map(({ name }) => {
      const m = measured(results, sc, name, (r) => r.latency?.[q])
      const kept = m === null || m.r.paced?.sustained
      const why = kept ? '' : ` (did not keep the offered rate: ${fmt((m.r.paced?.achievedRatio ?? 0) * 100, 0)}% of it)`
      // whole ms from 100 up: "413.2" would overrun its 22 px slot into the next bar's label
      const label = `${fmt(m?.v, (m?.v ?? 0) >= 100 ? 0 : 1)}${kept ? '' : '*'}`
      return barOf(m, label, `${name}, ${scenarioLabel(sc)}: ack ${q} ${fmt(m?.v)} ms${why}`)
    }),
  )
  const xLabel = 'percentile: scenario (* = the client did not keep the offered rate)'
  return groupedBarChart({ title, yLabel: 'ack latency ms (lower is better)', tick: decimalTick, xLabel, groups: groups.map(({ sc, q }) => `${q}: ${scenarioLabel(sc)}`), series, bars })
}

/** The microbenchmark rows (bench/micro.mjs --json) as Markdown, then issue 15's batch-build goals. */
export function microTable(rows) {
  const v = (x) => (x === null ? '–' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1))
  const table = ['| microbenchmark (CPU only) | value | unit | note |', '|---|--:|---|---|', ...rows.map((r) => `| ${r.name} | ${v(r.value)} | ${r.unit} | ${r.note} |`)]
  const at = (name) => rows.find((r) => r.name === name)?.value ?? null
  const goals = [
    [100, 2],
    [1024, 3],
  ].map(([size, bound]) => {
    const build = at(`batch build 1,000 x ${size} B`)
    const copy = at(`Buffer.copy of 1,000 x ${size} B values`)
    return `- ${goal(`batch build of ${size} B records vs a plain copy`, build && copy ? build / copy : null, '≤', bound, 'not measured').text}`
  })
  return [...table, '', 'Goals (issue 15): batch build (CRC included) ≤ 2x a plain copy for 100 B records, ≤ 3x for 1 KiB.', '', ...goals].join('\n')
}
