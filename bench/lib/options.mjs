// Command-line options of `npm run bench` and the scenario matrix they select.

export const HELP = `npm run bench -- [options]

  --quick                 small subset (2 scenarios, fewer records), under 3 minutes
  --bootstrap HOST:PORT   use this broker instead of starting the project's local one
  --clients a,b,...       only these clients (kafka-wire, kafkajs, platformatic, node-rdkafka, franz-go, java, kcat)
  --baseline-dist DIR     also run row "kafka-wire-baseline": the callback runner on another build's dist/ (an
                          older commit: git worktree add /tmp/base REF, npm ci, npx tsc -p tsconfig.build.json),
                          measured in the same run, so a change's cost is a same-run ratio (one of ours, never a peer)
  --value-sizes 100,1024  record value sizes in bytes       (full default: 100,1024)
  --acks 1,all            acks settings                     (full default: 1,all)
  --compression none,lz4  compression types: none, lz4, zstd (full default: none,lz4, plus one zstd scenario:
                          1 KiB, acks=all); a client without zstd is listed as skipped, with its reason
  --records N             records per run (default: 1,000,000 for 100 B, 300,000 for 1 KiB; quick 500,000 / 150,000)
  --warmup N              warm-up records per run, excluded from figures (default: 10% of records)
  --repeat N              runs per client and scenario; the median is reported, all samples kept (default 1)
  --idempotence           every scenario idempotent (enable.idempotence=true, or the client's own name for it;
                          acks=all). Without it the full matrix still has one idempotent scenario (100 B, acks=all, none)
  --transactional         every scenario transactional (transactional.id, so idempotent, acks=all): begin, N records,
                          commitTransaction(), timed. Without it the full matrix (not --quick) still has one
                          transactional scenario (100 B, acks=all, none); peers: the Java client and franz-go
  --txn-records N         records per transaction in transactional scenarios (default 1000)
  --java-txn-ms MS        ProducerPerformance's --transaction-duration-ms: it ends transactions by time, not by
                          record count (default 5); its records per transaction are reported
  --rate N                every scenario paced (issue 15): N records/s offered by each runner, ack latency
                          p50/p99/p99.9 at that fixed load; records = N x --rate-seconds unless --records.
                          Without it the full matrix (not --quick) still has one paced scenario (1 KiB,
                          acks=all, none, 10,000/s for 30 s); clients whose runner cannot pace are skipped
  --rate-seconds S        length of a paced run's measured part (default 30; warm-up 10% more, paced too)
  --security LIST         plaintext, sasl_ssl, or plaintext,sasl_ssl (each scenario both ways). sasl_ssl: over
                          TLS + SCRAM-SHA-512 (bob; PLAIN alice for librdkafka, whose SCRAM Kafka 4.x refuses);
                          the harness starts its broker with secured listeners (not with --bootstrap); topic
                          admin and end offsets stay on PLAINTEXT. Without it the full matrix (not --quick)
                          still has one SASL_SSL scenario (1 KiB, acks=all, none); --security plaintext: none
  --batch-size BYTES      default 65536     --linger-ms MS   default 5     --max-in-flight N  default 5
  --broker-warmup N       unmeasured records sent (by KafkaJS) before the first run, to warm the broker (default 50,000; 0 = off)
  --buffer-mb MB          client-side buffer bound for every client (buffer.memory etc.; default 32)
  --partitions N          partitions of each fresh topic (default 6, RF 1)
  --cpu-prof              run Node clients with --cpu-prof (profiles in bench/results/profiles-*)
  --kafka-libs DIR        Kafka jars for ProducerPerformance (default: the harness's cache)
  --node22 PATH           a Node >= 22 binary for @platformatic/kafka (default: this Node)
  --keep-topics           do not delete the benchmark topics afterwards
  --timeout-ms MS         per-run limit (default 180000)
  --seed N                payload generator seed (default 42)
  --write-readme          put this run's tables into bench/README.md (between the bench:latest markers) and its
                          goal summary into README.md (between the bench:summary markers)
  --readme-from FILE      no run: write those tables from a stored result (bench/results/*.json), rendered again
  --no-micro              skip the CPU-only microbenchmarks (bench/micro.mjs) that run first
  --no-pin                do not pin with taskset (default when taskset exists and 2+ CPUs are allowed:
                          the broker on the first CPU, each client process on the second)`

/** The offered load of the full matrix's paced scenario (records/s), for --rate-seconds (default 30). */
export const PACED_RATE = 10_000

/**
 * A paced run kept its offered load when its achieved records/s is within this share of the rate,
 * either way: below, it fell behind; above, it burst to catch up (ProducerPerformance's throttler
 * paces against the start of the whole run, so a slow JVM start is followed by a burst).
 */
export const PACED_TOLERANCE = 0.05

/** The codecs the harness can ask for (each runner maps these; see each client's supports()). */
export const COMPRESSIONS = ['none', 'lz4', 'zstd']

/** --security values: plaintext (the broker's PLAINTEXT listener) or sasl_ssl (TLS + SASL). */
export const SECURITY = ['plaintext', 'sasl_ssl']

const list = (v) => v.split(',').map((x) => x.trim()).filter(Boolean)

export function parseArgs(argv) {
  const o = {
    help: false, quick: false, bootstrap: null, clients: null, baselineDist: null, valueSizes: null, acks: null, compression: null,
    records: null, warmup: null, repeat: 1, idempotence: false, transactional: false, txnRecords: 1000, javaTxnMs: 5, batchSize: 65536, lingerMs: 5, maxInFlight: 5,
    rate: null, rateSeconds: 30, security: null, bufferMb: 32, brokerWarmup: 50_000, partitions: 6, cpuProf: false, kafkaLibs: null, node22: null, keepTopics: false, timeoutMs: 180_000, seed: 42, poolSize: 2048, micro: true, writeReadme: false, readmeFrom: null, pin: true,
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    const int = () => {
      const v = Number(val())
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`)
      return v
    }
    switch (a) {
      case '--help': case '-h': o.help = true; break
      case '--quick': o.quick = true; break
      case '--bootstrap': o.bootstrap = val(); break
      case '--clients': o.clients = list(val()); break
      case '--baseline-dist': o.baselineDist = val(); break
      case '--value-sizes': o.valueSizes = list(val()).map(Number); break
      case '--acks': o.acks = list(val()); break
      case '--compression': o.compression = list(val()); break
      case '--records': o.records = int(); break
      case '--warmup': o.warmup = int(); break
      case '--repeat': o.repeat = Math.max(1, int()); break
      case '--idempotence': o.idempotence = true; break
      case '--transactional': o.transactional = true; break
      case '--txn-records': o.txnRecords = Math.max(1, int()); break
      case '--java-txn-ms': o.javaTxnMs = Math.max(1, int()); break
      case '--rate': o.rate = Math.max(1, int()); break
      case '--rate-seconds': o.rateSeconds = Math.max(1, int()); break
      case '--security': o.security = list(val()); break
      case '--batch-size': o.batchSize = int(); break
      case '--linger-ms': o.lingerMs = int(); break
      case '--max-in-flight': o.maxInFlight = int(); break
      case '--broker-warmup': o.brokerWarmup = int(); break
      case '--buffer-mb': o.bufferMb = Math.max(1, int()); break
      case '--partitions': o.partitions = Math.max(1, int()); break
      case '--cpu-prof': o.cpuProf = true; break
      case '--kafka-libs': o.kafkaLibs = val(); break
      case '--node22': o.node22 = val(); break
      case '--keep-topics': o.keepTopics = true; break
      case '--timeout-ms': o.timeoutMs = int(); break
      case '--seed': o.seed = int(); break
      case '--no-micro': o.micro = false; break
      case '--no-pin': o.pin = false; break
      case '--write-readme': o.writeReadme = true; break
      case '--readme-from': o.readmeFrom = val(); break
      default: throw new Error(`unknown option ${a} (see --help)`)
    }
  }
  for (const a of o.acks ?? []) if (a !== '1' && a !== 'all') throw new Error(`--acks: ${a} is not 1 or all`)
  // Only codecs every runner maps explicitly: a runner that fell back to "none" for a name it did
  // not know would be measured uncompressed under a compressed label.
  for (const c of o.compression ?? []) if (!COMPRESSIONS.includes(c)) throw new Error(`--compression: ${c} is not one of ${COMPRESSIONS.join(', ')}`)
  for (const v of o.valueSizes ?? []) if (!Number.isInteger(v) || v < 1 || v > 1_000_000) throw new Error(`--value-sizes: ${v} is not a size in bytes`)
  if (o.idempotence && (o.acks ?? []).includes('1')) throw new Error('--idempotence needs acks=all in every scenario: drop acks=1 from --acks')
  if (o.transactional && (o.acks ?? []).includes('1')) throw new Error('--transactional needs acks=all in every scenario: drop acks=1 from --acks')
  if (o.rate !== null && o.transactional) throw new Error('--rate and --transactional together are not supported: a paced run measures ack latency, a transactional one commit latency')
  for (const x of o.security ?? []) if (!SECURITY.includes(x)) throw new Error(`--security: ${x} is not one of ${SECURITY.join(', ')}`)
  if ((o.security ?? []).includes('sasl_ssl') && o.bootstrap !== null) throw new Error('--security sasl_ssl starts the harness\'s own secured broker: it cannot be combined with --bootstrap')
  return o
}

/**
 * The scenarios to run: the full matrix, or with --quick two corners of it. The full default matrix
 * also has one idempotent scenario (issue 15) and one transactional one (issue 14, not in --quick);
 * --idempotence makes every scenario idempotent, --transactional every one transactional (acks=all).
 */
export function planScenarios(o) {
  const defaultRecords = (size) => (o.quick ? (size >= 1024 ? 150_000 : 500_000) : size >= 1024 ? 300_000 : 1_000_000)
  const transactional = o.transactional
  // a transactional producer is always idempotent (transactional.id implies enable.idempotence)
  const idempotence = o.idempotence || transactional
  const defaults = o.valueSizes === null && o.acks === null && o.compression === null
  // --rate paces every scenario and --security sasl_ssl secures every one; otherwise the full matrix
  // has one paced and one SASL_SSL scenario of its own
  const rate = o.rate
  const securities = o.security ?? ['plaintext']
  let combos
  if (o.quick && defaults) {
    combos = securities.flatMap((security) => [
      { valueSize: 100, acks: idempotence ? 'all' : '1', compression: 'none', idempotence, transactional, rate, security },
      { valueSize: 1024, acks: 'all', compression: 'lz4', idempotence, transactional, rate, security },
    ])
  } else {
    combos = []
    for (const valueSize of o.valueSizes ?? [100, 1024])
      for (const acks of o.acks ?? (idempotence ? ['all'] : ['1', 'all']))
        for (const compression of o.compression ?? ['none', 'lz4'])
          for (const security of securities) combos.push({ valueSize, acks, compression, idempotence, transactional, rate, security })
    if (defaults && !idempotence && rate === null && o.security === null) {
      const plain = { rate: null, security: 'plaintext' }
      // zstd (issue 15's "plus zstd"): where a codec's cost per byte shows, at 1 KiB
      combos.push({ valueSize: 1024, acks: 'all', compression: 'zstd', idempotence: false, transactional: false, ...plain })
      // the cost of idempotence (sequence numbers, InitProducerId) shows most with small records
      combos.push({ valueSize: 100, acks: 'all', compression: 'none', idempotence: true, transactional: false, ...plain })
      // and so does the cost of a transaction (AddPartitionsToTxn or Produce v12, EndTxn, markers) per record
      combos.push({ valueSize: 100, acks: 'all', compression: 'none', idempotence: true, transactional: true, ...plain })
      // ack latency at a fixed offered load (issue 15): a load every client sustains on the 2-core
      // machine, so the figure is the client's path, not queueing behind a saturated broker
      combos.push({ valueSize: 1024, acks: 'all', compression: 'none', idempotence: false, transactional: false, rate: PACED_RATE, security: 'plaintext' })
      // TLS and SASL (issue 13): TLS costs per byte, so 1 KiB, next to the same scenario in plaintext
      combos.push({ valueSize: 1024, acks: 'all', compression: 'none', idempotence: false, transactional: false, rate: null, security: 'sasl_ssl' })
    }
  }
  return combos.map((c) => {
    const records = o.records ?? (c.rate !== null ? c.rate * o.rateSeconds : defaultRecords(c.valueSize))
    const id =
      `${c.valueSize}b-acks${c.acks}-${c.compression}${c.transactional ? `-txn${o.txnRecords}` : c.idempotence ? '-idem' : ''}` +
      `${c.rate !== null ? `-rate${c.rate}` : ''}${c.security === 'sasl_ssl' ? '-saslssl' : ''}`
    const txn = c.transactional ? { txnRecords: o.txnRecords, javaTxnMs: o.javaTxnMs } : { txnRecords: null, javaTxnMs: null }
    return { id, ...c, ...txn, records, warmupRecords: o.warmup ?? Math.floor(records / 10) }
  })
}
