#!/usr/bin/env node
// kafka-wire's benchmark harness (issue 8): every client in its own process, one after another,
// same settings, same payload bytes, fresh topic per run, end offsets checked after each run.
// Usage: npm run bench -- [--quick] [--bootstrap host:port] [--clients a,b] ... (see bench/README.md)
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, createWriteStream, rmSync } from 'node:fs'
import { cpus, loadavg, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { spawnSync } from 'node:child_process'
import { parseArgs, planScenarios, HELP, PACED_TOLERANCE } from './lib/options.mjs'
import { makePayloads, writePayloadFile } from './lib/payload.mjs'
import { killActive, runMeasured, measureMethod } from './lib/measure.mjs'
import { BENCH_DIR, CLIENTS, ROOT_DIR, baselineClient, ensureBenchModules } from './lib/clients.mjs'
import { cpuChart, goalSummaryTable, latencyChart, markdownTable, microTable, scenarioLabel, svgChart } from './lib/report.mjs'
import { SASL_USERS, startBroker } from './lib/broker.mjs'
import { summarizeProfile } from './lib/profile-summary.mjs'
import { pinningText, pinProcess, planPinning } from './lib/pin.mjs'
import { verifyTransactional } from './lib/txn-check.mjs'

const log = (line) => process.stdout.write(`${line}\n`)

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  if (opts.help) {
    log(HELP)
    return
  }
  if (opts.readmeFrom !== null) {
    rewriteReadmes(opts.readmeFrom)
    return
  }
  const startedAt = new Date()
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
  const runId = Math.random().toString(36).slice(2, 8)
  const scenarios = planScenarios(opts)
  const pin = planPinning(opts.pin)
  // --baseline-dist adds one row of ours, an older build, selectable like any client
  const clients = opts.baselineDist === null ? CLIENTS : [...CLIENTS, baselineClient(opts.baselineDist)]
  const selected = clients.filter((c) => opts.clients === null || opts.clients.includes(c.name))
  if (opts.clients !== null) {
    const unknown = opts.clients.filter((n) => !clients.some((c) => c.name === n))
    if (unknown.length > 0) throw new Error(`unknown client(s) ${unknown.join(', ')}; known: ${clients.map((c) => c.name).join(', ')}`)
  }
  log(`kafka-wire bench${opts.quick ? ' (quick)' : ''}: ${scenarios.length} scenario(s) x ${selected.length} client(s); CPU/RSS measured with ${measureMethod() ?? 'nothing (install GNU time or python3)'}`)

  // Install the Node peers first, when a selected client needs them (--clients kafka-wire,kcat needs
  // no npm ci). The harness's own admin client (KafkaJS) also resolves from the root
  // devDependencies, so a failed install only marks the peers that need it as "cannot run".
  if (selected.some((c) => c.benchModules)) {
    const npmReason = ensureBenchModules(log)
    if (npmReason !== null) log(`bench/node_modules could not be installed: ${npmReason}`)
  }
  let openAdmin
  try {
    ;({ openAdmin } = await import('./lib/admin.mjs'))
  } catch (err) {
    throw new Error(`no KafkaJS for topic admin (npm ci at the repository root, or npm ci --prefix bench): ${err.message}`)
  }

  // CPU-only microbenchmarks first, in their own process, while nothing else of ours is running.
  let micro = null
  if (opts.micro) {
    process.stdout.write('microbenchmarks (CPU only): running… ')
    const m = await runMeasured(process.execPath, [join(BENCH_DIR, 'micro.mjs'), '--json'], { timeoutMs: 120_000, cwd: ROOT_DIR, cpu: pin.client })
    const line = m.stdout.trim().split('\n').pop() ?? ''
    try {
      micro = JSON.parse(line)
      log('done')
    } catch {
      log(`failed: ${m.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${m.code}`}`)
    }
  }

  const broker = await startBroker(opts, log, { secured: scenarios.some((sc) => sc.security === 'sasl_ssl') })
  // the broker (its JVM, every thread) on one CPU; runOnce starts each client on the other
  const brokerPin = pin.reason !== null ? null : broker.pid === null ? 'external broker (--bootstrap): pin it yourself' : pinProcess(broker.pid, pin.broker)
  const pinning = { broker: brokerPin === null ? pin.broker : null, brokerNotPinned: brokerPin, client: pin.client, off: pin.reason, text: pinningText(pin, brokerPin) }
  log(pinning.text)
  const stopBroker = async () => {
    if (broker.stop) await broker.stop()
  }
  process.once('SIGINT', () => {
    log('interrupted: stopping')
    killActive()
    stopBroker().finally(() => process.exit(130))
  })
  const ctx = {
    log,
    cpuProf: opts.cpuProf,
    profileDir: join(BENCH_DIR, 'results', `profiles-${stamp}`),
    node22: opts.node22,
    kafkaLibs: opts.kafkaLibs ?? broker.kafkaLibs ?? null,
    clientCpu: pin.client,
  }
  const work = join(tmpdir(), `kw-bench-${runId}`)
  mkdirSync(work, { recursive: true })
  const admin = await openAdmin(broker.bootstrap)
  const results = []
  try {
    // Prepare each client once; one that cannot run is reported in every scenario with its reason.
    const ready = new Map()
    for (const c of selected) {
      const reason = await c.prepare(ctx)
      ready.set(c.name, reason)
      log(reason === null ? `ready: ${c.name}` : `${c.name}: cannot run: ${reason}`)
    }
    // A client that cannot do a scenario (zstd without a codec) is skipped in it, with its reason.
    // A SASL_SSL scenario needs the harness's secured broker (a --bootstrap broker has none here).
    const noSasl = (sc) => (sc.security === 'sasl_ssl' && broker.saslSsl === null ? 'SASL_SSL needs the harness\'s secured broker (not --bootstrap)' : null)
    const skip = new Map(scenarios.map((sc) => [sc.id, new Map(selected.filter((c) => ready.get(c.name) === null).map((c) => [c.name, noSasl(sc) ?? c.supports?.(sc, ctx) ?? null]))]))
    const runnable = (sc, c) => ready.get(c.name) === null && skip.get(sc.id).get(c.name) === null
    for (const sc of scenarios) for (const [name, why] of skip.get(sc.id)) if (why !== null) log(`${scenarioLabel(sc)} · ${name}: skipped: ${why}`)
    const total = scenarios.reduce((t, sc) => t + selected.filter((c) => runnable(sc, c)).length, 0) * opts.repeat
    let n = 0
    if (opts.brokerWarmup > 0) {
      process.stdout.write(`warming the broker with ${opts.brokerWarmup.toLocaleString('en-US')} unmeasured records… `)
      await admin.warmBroker(`kwbench-${runId}-broker-warmup`, opts.partitions, makePayloads(100, 256, opts.seed), opts.brokerWarmup)
      log('done')
    }
    for (const sc of scenarios) {
      const values = makePayloads(sc.valueSize, opts.poolSize, opts.seed)
      const payloadFile = join(work, `payload-${sc.valueSize}.txt`)
      writePayloadFile(payloadFile, values)
      let kcatFile = null
      const samples = new Map(selected.map((c) => [c.name, []]))
      for (let rep = 0; rep < opts.repeat; rep++) {
        // Each repeat starts with a different client, so no client always runs first (cold caches).
        const order = selected.map((_, i) => selected[(i + rep) % selected.length])
        for (const c of order) {
          if (!runnable(sc, c)) continue
          if (c.name === 'kcat' && kcatFile === null) kcatFile = await writeKcatFile(join(work, `kcat-${sc.id}.txt`), values, sc.records)
          n++
          const topic = `kwbench-${runId}-${sc.id}-${c.name}-${rep}`
          const settings = {
            client: c.name,
            scenario: sc.id,
            repeat: rep,
            // a SASL_SSL scenario points the client at that listener; the harness's own admin,
            // end-offset and read_committed checks stay on PLAINTEXT (plaintextBootstrap)
            bootstrap: sc.security === 'sasl_ssl' ? broker.saslSsl.bootstrap : broker.bootstrap,
            plaintextBootstrap: broker.bootstrap,
            security: sc.security === 'sasl_ssl' ? saslSettings(c, broker.saslSsl) : null,
            topic,
            partitions: opts.partitions,
            records: sc.records,
            warmupRecords: sc.warmupRecords,
            valueSize: sc.valueSize,
            acks: sc.acks,
            compression: sc.compression,
            idempotence: sc.idempotence,
            // transactional scenarios: a fresh transactional id per run, the same timeout everywhere
            transactional: sc.transactional,
            txnRecords: sc.txnRecords,
            javaTxnMs: sc.javaTxnMs,
            transactionalId: sc.transactional ? `${topic}-txn` : null,
            transactionTimeoutMs: 60_000,
            // paced scenarios (issue 15): records/s each runner offers, or null (as fast as it can)
            rate: sc.rate,
            batchSize: opts.batchSize,
            lingerMs: opts.lingerMs,
            maxInFlight: opts.maxInFlight,
            bufferMemory: opts.bufferMb * 1024 * 1024,
            payloadFile,
            kcatFile,
            seed: opts.seed,
            timeoutMs: opts.timeoutMs,
          }
          process.stdout.write(`[${n}/${total}] ${scenarioLabel(sc)} · ${c.name}${opts.repeat > 1 ? ` #${rep + 1}` : ''}: running… `)
          const sample = await runOnce(c, settings, ctx, admin, opts)
          samples.get(c.name).push(sample)
          log(progressText(sample))
        }
      }
      for (const c of selected) {
        const reason = ready.get(c.name)
        const skipped = reason === null ? skip.get(sc.id).get(c.name) : null
        if (reason !== null) results.push({ scenario: sc, client: c.name, language: c.language, status: 'cannot run', reason, samples: [] })
        else if (skipped !== null) results.push({ scenario: sc, client: c.name, language: c.language, status: 'skipped', reason: skipped, samples: [] })
        else results.push(summarize(sc, c, samples.get(c.name)))
      }
      if (kcatFile !== null) rmSync(kcatFile, { force: true })
    }
  } finally {
    await admin.close().catch(() => {})
    await stopBroker()
    rmSync(work, { recursive: true, force: true })
  }

  // With --cpu-prof, the top of each profile goes into the JSON too (the files stay for DevTools).
  let profiles = null
  if (opts.cpuProf && existsSync(ctx.profileDir)) {
    profiles = {}
    for (const f of readdirSync(ctx.profileDir).filter((x) => x.endsWith('.cpuprofile'))) {
      const s = summarizeProfile(JSON.parse(readFileSync(join(ctx.profileDir, f), 'utf8')), 15)
      profiles[f] = s
      log(`profile ${f}: ${s.functions.slice(0, 5).map((r) => `${r.what.split('  ')[0]} ${r.pct.toFixed(0)}%`).join(', ')}`)
    }
  }
  const table = markdownTable(results, scenarios, { header: [pinning.text], bufferMemory: opts.bufferMb * 1024 * 1024, repeat: opts.repeat })
  const runName = `${opts.quick ? 'quick' : 'full'} run ${startedAt.toISOString().slice(0, 16)}Z`
  const clientNames = clients.map((c) => c.name)
  const svg = svgChart(results, scenarios, clientNames, `Producer records/s per client: ${runName}`)
  const cpuSvg = cpuChart(results, scenarios, clientNames, `Client CPU s per 1M records (lower is better): ${runName}`)
  // null without a paced result (no --rate, or no client ran one): then no latency file at all
  const latencySvg = latencyChart(results, scenarios, clientNames, `Ack latency p50 / p99 at the offered load (lower is better): ${runName}`)
  const outDir = join(BENCH_DIR, 'results')
  mkdirSync(outDir, { recursive: true })
  const jsonPath = join(outDir, `${stamp}.json`)
  const svgPath = join(outDir, `${stamp}.svg`)
  const cpuSvgPath = join(outDir, `${stamp}-cpu.svg`)
  const latencySvgPath = join(outDir, `${stamp}-latency.svg`)
  const doc = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}`, loadavgAtEnd: loadavg() },
    source: gitDescribe(),
    broker: { bootstrap: broker.bootstrap, saslSsl: broker.saslSsl?.bootstrap ?? null, managedByHarness: broker.managed, kafkaVersion: broker.kafkaVersion ?? null },
    measurement: { cpuAndRss: measureMethod(), latencySampling: 'see each sample\'s latency.basis' },
    pinning,
    options: { ...opts },
    commonSettings: { partitions: opts.partitions, replicationFactor: 1, keys: null, idempotence: 'per scenario (scenarios[].idempotence)', batchSize: opts.batchSize, lingerMs: opts.lingerMs, maxInFlight: opts.maxInFlight, bufferMemory: opts.bufferMb * 1024 * 1024, payloadPool: opts.poolSize, seed: opts.seed },
    scenarios,
    results,
    micro,
    profiles,
    markdown: table,
    goalSummary: goalSummaryTable(results, scenarios, { bufferMemory: opts.bufferMb * 1024 * 1024 }),
    argv: process.argv.slice(2).filter((x) => x !== '--write-readme'),
  }
  writeFileSync(jsonPath, `${JSON.stringify(doc, null, 2)}\n`)
  writeFileSync(svgPath, svg)
  writeFileSync(cpuSvgPath, cpuSvg)
  if (latencySvg !== null) writeFileSync(latencySvgPath, latencySvg)
  log('')
  log(table)
  log('')
  if (micro !== null) {
    log(microTable(micro.rows))
    log('')
  }
  log(`wrote ${jsonPath}`)
  log(`wrote ${svgPath}`)
  log(`wrote ${cpuSvgPath}`)
  if (latencySvg !== null) log(`wrote ${latencySvgPath}`)
  if (opts.writeReadme) {
    writeReadmeTable(doc, micro, doc.argv)
    log(`updated the latest table in ${join(BENCH_DIR, 'README.md')}`)
  }
  if (opts.cpuProf) log(`CPU profiles in ${ctx.profileDir} (open in Chrome DevTools > Performance)`)
}

/** The commit the measured kafka-wire was built from, and whether the work tree had changes. */
function gitDescribe() {
  const git = (args) => spawnSync('git', args, { cwd: ROOT_DIR, encoding: 'utf8' })
  const head = git(['rev-parse', 'HEAD'])
  if (head.status !== 0) return null
  return { commit: head.stdout.trim(), dirty: git(['status', '--porcelain', '--', 'src']).stdout.trim() !== '' }
}

/** Replaces the block between the bench:latest markers of bench/README.md with this run's output. */
/**
 * --readme-from FILE: the README tables of a stored run, rendered again with the current report
 * code (a run of an older harness gets the tables it did not have, such as the goal summary).
 */
function rewriteReadmes(file) {
  const doc = JSON.parse(readFileSync(file, 'utf8'))
  const bufferMemory = doc.commonSettings.bufferMemory
  doc.markdown = markdownTable(doc.results, doc.scenarios, { header: [doc.pinning.text], bufferMemory, repeat: doc.options.repeat })
  doc.goalSummary = goalSummaryTable(doc.results, doc.scenarios, { bufferMemory })
  // a run of a harness that did not store its command line: its options say what it ran
  const argv = doc.argv ?? argvFromOptions(doc.options)
  writeReadmeTable(doc, doc.micro, argv)
  log(`README tables rewritten from ${file}`)
}

/** The flags that give `options` (parsed bench options): those that differ from the defaults. */
function argvFromOptions(options) {
  const defaults = parseArgs([])
  const argv = []
  for (const [key, value] of Object.entries(options)) {
    if (['help', 'writeReadme', 'readmeFrom', 'poolSize'].includes(key) || JSON.stringify(value) === JSON.stringify(defaults[key])) continue
    if (key === 'micro' || key === 'pin') argv.push(`--no-${key}`)
    else if (value === true) argv.push(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
    else argv.push(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, Array.isArray(value) ? value.join(',') : String(value))
  }
  return argv
}

/**
 * Puts `lines` between the `<!-- name -->` and `<!-- /name -->` markers of `path`, markers kept.
 * Returns false (nothing written) without the opening marker, or without the closing one unless
 * `toEnd`, which then replaces everything after the opening marker.
 */
function replaceBetweenMarkers(path, name, lines, { toEnd = false } = {}) {
  const text = readFileSync(path, 'utf8')
  const open = `<!-- ${name} -->`
  const close = `<!-- /${name} -->`
  const a = text.indexOf(open)
  const b = a < 0 ? -1 : text.indexOf(close, a)
  if (a < 0 || (b < 0 && !toEnd)) return false
  writeFileSync(path, text.slice(0, a) + [open, ...lines, close].join('\n') + (b < 0 ? '\n' : text.slice(b + close.length)))
  return true
}

function writeReadmeTable(doc, micro, argv) {
  const command = `\`${['npm run bench --', ...argv].join(' ')}\``
  const versions = doc.results.filter((r) => r.version).map((r) => `${r.client} ${r.version}`)
  const path = join(BENCH_DIR, 'README.md')
  const latest = [
    `Run of ${doc.startedAt} (${command}), ${doc.machine.cpus} cores (${doc.machine.cpuModel}), ` +
      `Node ${doc.machine.node}, load average at the end ${doc.machine.loadavgAtEnd.map((x) => x.toFixed(1)).join(' / ')}. ` +
      `Versions: ${[...new Set(versions)].join(', ')}.`,
    '',
    doc.markdown,
    ...(micro === null ? [] : ['', microTable(micro.rows)]),
  ]
  if (!replaceBetweenMarkers(path, 'bench:latest', latest, { toEnd: true })) throw new Error(`${path} has no <!-- bench:latest --> marker`)
  // the repository README's goal summary, between its own markers (left alone when it has none)
  replaceBetweenMarkers(join(ROOT_DIR, 'README.md'), 'bench:summary', [
    `Run of ${doc.startedAt} (${command}), Node ${doc.machine.node}, Kafka ${doc.broker.kafkaVersion ?? '?'}; ` +
      `${doc.options.repeat > 1 ? `medians of ${doc.options.repeat} runs` : 'one run'}, written by the harness.`,
    '',
    doc.goalSummary,
  ])
}

/**
 * A client's SASL_SSL settings: the listener's CA and the credentials of the client's mechanism
 * (client.sasl: SCRAM-SHA-512 unless the client says otherwise, with its reason in client.saslWhy).
 */
function saslSettings(client, saslSsl) {
  const mechanism = client.sasl ?? 'SCRAM-SHA-512'
  return { protocol: 'SASL_SSL', caPath: saslSsl.caPath, mechanism, ...SASL_USERS[mechanism], why: client.saslWhy ?? null }
}

/** Writes the kcat input: `records` lines cycling through the pool (kcat -l sends one record per line). */
async function writeKcatFile(path, values, records) {
  const out = createWriteStream(path)
  const nl = Buffer.from('\n')
  for (let i = 0; i < records; i++) {
    if (!out.write(values[i % values.length]) | !out.write(nl)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return path
}

/** One process run of one client, then the end-offset check on its fresh topic. */
async function runOnce(client, settings, ctx, admin, opts) {
  const base = { topic: settings.topic, startedAt: new Date().toISOString(), settings }
  try {
    await admin.createTopic(settings.topic, settings.partitions)
  } catch (err) {
    return { ...base, status: 'failed', reason: `could not create topic: ${err.message}` }
  }
  const { cmd, args } = client.command(settings, ctx)
  const m = await runMeasured(cmd, args, { timeoutMs: settings.timeoutMs + 30_000, cwd: ROOT_DIR, cpu: ctx.clientCpu })
  const measured = { command: [cmd, ...args], wallMs: m.wallMs, exitCode: m.code, signal: m.signal, cpu: m.cpu, maxRssKb: m.maxRssKb }
  let result = null
  if (client.parse) result = client.parse(m.stdout, settings, m.wallMs, ctx)
  else {
    const line = m.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'))
    try {
      result = line ? JSON.parse(line) : null
    } catch {
      result = null
    }
  }
  // which login a SASL_SSL run used (the table's SASL_SSL section shows it)
  if (result !== null && !result.error && settings.security) result.sasl = { mechanism: settings.security.mechanism, username: settings.security.username, why: settings.security.why }
  const errLines = m.stderr.trim().split('\n').filter(Boolean)
  const errLine = errLines.find((l) => /Error|error:/.test(l))
  const stderrTail = (errLine ?? errLines.slice(-2).join(' / ')).slice(0, 300)
  let sample
  if (m.code !== 0 || result === null || result.error) {
    const why = result?.error ?? (m.signal ? `killed by ${m.signal} (timeout ${settings.timeoutMs} ms?)` : `exit ${m.code}`)
    sample = { ...base, ...measured, status: 'failed', reason: `${why}${stderrTail && !result?.error ? `; stderr: ${stderrTail}` : ''}`, result }
  } else {
    const sent = result.records + result.warmupRecords
    let endOffsets = null
    let status = 'ok'
    let reason = null
    let txn = null
    try {
      if (settings.transactional) {
        // end offsets = records + one marker per partition per transaction; a read_committed
        // consumer must see every record (bench/lib/txn-check.mjs)
        const check = await verifyTransactional({
          admin, bootstrap: settings.plaintextBootstrap, topic: settings.topic, sent, partitions: settings.partitions,
          transactions: result.txn?.transactions ?? null, kafkaLibs: ctx.kafkaLibs, transactionalId: settings.transactionalId,
        })
        endOffsets = check.endOffsets
        txn = { ...result.txn, ...check, transactions: check.transactions, clientTransactions: result.txn?.transactions ?? null }
        if (check.problems.length > 0) {
          status = 'invalid'
          reason = check.problems.join('; ')
        }
      } else {
        endOffsets = await admin.endOffsetSum(settings.topic)
        if (endOffsets !== sent) {
          status = 'invalid'
          reason = `end offsets add up to ${endOffsets}, client sent ${sent}`
        }
      }
    } catch (err) {
      status = 'invalid'
      reason = `could not read end offsets: ${err.message}`
    }
    const recordsPerSec = result.records / (result.elapsedMs / 1000)
    // a paced run kept its offered load when it acknowledged the records at 95-105% of the rate
    const achievedRatio = settings.rate ? recordsPerSec / settings.rate : null
    const paced = settings.rate ? { ...result.paced, rate: settings.rate, achievedRatio, sustained: Math.abs(achievedRatio - 1) <= PACED_TOLERANCE } : null
    sample = {
      ...base,
      ...measured,
      status,
      reason,
      result,
      expectedOffsets: sent,
      endOffsets,
      txn,
      paced,
      recordsPerSec,
      mbPerSec: (recordsPerSec * settings.valueSize) / 1e6,
      cpuSec: m.cpu?.total ?? null,
      cpuSecPerMillion: m.cpu ? (m.cpu.total / sent) * 1e6 : null,
      maxRssMb: m.maxRssKb === null ? null : m.maxRssKb / 1024,
    }
  }
  if (!opts.keepTopics) await admin.deleteTopic(settings.topic).catch(() => {})
  return sample
}

function progressText(s) {
  if (s.status === 'failed') return `FAILED: ${s.reason}`
  const cpu = s.cpuSec === null ? '' : `, CPU ${s.cpuSec.toFixed(2)} s`
  // a Node runner's own peaks (MemoryPeaks): V8 heap and Buffers, next to the kernel's RSS
  const mem = s.result?.memory
  const gc = mem?.gc ? `; GC ${mem.gc.minor.count} minor ${mem.gc.minor.ms} ms, ${mem.gc.major.count} major ${mem.gc.major.ms} ms` : ''
  const split = mem ? ` (peak heap ${mem.heapTotalMiB.toFixed(0)}, Buffers ${mem.arrayBuffersMiB.toFixed(0)}${gc})` : ''
  const rss = s.maxRssMb === null ? '' : `, RSS ${s.maxRssMb.toFixed(0)} MiB${split}`
  const check = s.status === 'ok' ? (s.txn ? 'offsets and read_committed ok' : 'offsets ok') : `INVALID (${s.reason})`
  const t = s.txn
  const commits = t ? `, ${t.transactions ?? '?'} transactions, commit p50/p99 ${t.commitLatency ? `${t.commitLatency.p50.toFixed(1)}/${t.commitLatency.p99.toFixed(1)} ms` : 'n/a'}` : ''
  const l = s.result?.latency
  const paced = s.paced
    ? `, offered ${s.paced.rate.toLocaleString('en-US')}/s${s.paced.sustained ? '' : ' NOT KEPT'}, ack p50/p99/p99.9 ${l ? `${l.p50.toFixed(1)}/${l.p99.toFixed(1)}/${l.p999?.toFixed(1) ?? '?'} ms` : 'n/a'}`
    : ''
  return `${Math.round(s.recordsPerSec).toLocaleString('en-US')} records/s, ${s.mbPerSec.toFixed(1)} MB/s${commits}${paced}${cpu}${rss}, ${check}`
}

/**
 * The figures of a (scenario, client): the median sample by records/s (in a paced scenario, where
 * records/s is the offered rate, by ack p99); every sample kept raw.
 */
function summarize(sc, c, samples) {
  const base = { scenario: sc, client: c.name, language: c.language, samples }
  const key = sc.rate ? (s) => s.result?.latency?.p99 ?? Number.MAX_VALUE : (s) => s.recordsPerSec
  const good = samples.filter((s) => s.status === 'ok' || s.status === 'invalid').sort((a, b) => key(a) - key(b))
  if (good.length === 0) return { ...base, status: 'failed', reason: samples[0]?.reason ?? 'no run' }
  const med = good[Math.floor((good.length - 1) / 2)]
  const invalid = samples.find((s) => s.status !== 'ok')
  return {
    ...base,
    status: invalid ? 'invalid' : 'ok',
    reason: invalid ? invalid.reason : null,
    version: med.result.version,
    notes: med.result.notes ?? null,
    recordsPerSec: med.recordsPerSec,
    mbPerSec: med.mbPerSec,
    latency: med.result.latency ?? null,
    cpuSec: med.cpuSec,
    cpuSecPerMillion: med.cpuSecPerMillion,
    maxRssMb: med.maxRssMb,
    endOffsets: med.endOffsets,
    txn: med.txn ?? null,
    paced: med.paced ?? null,
    sasl: med.result.sasl ?? null,
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
