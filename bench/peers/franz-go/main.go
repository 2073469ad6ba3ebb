// Command franz-go-bench is the franz-go (pkg/kgo) runner of kafka-wire's benchmark harness:
// it reads the harness's settings JSON (first argument) and prints one JSON result line.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

type settings struct {
	Bootstrap     string `json:"bootstrap"`
	Topic         string `json:"topic"`
	Records       int    `json:"records"`
	WarmupRecords int    `json:"warmupRecords"`
	ValueSize     int    `json:"valueSize"`
	Acks          string `json:"acks"`
	Compression   string `json:"compression"`
	Idempotence   bool   `json:"idempotence"`
	BatchSize     int32  `json:"batchSize"`
	LingerMs      int    `json:"lingerMs"`
	MaxInFlight   int    `json:"maxInFlight"`
	BufferMemory  int    `json:"bufferMemory"`
	PayloadFile   string `json:"payloadFile"`
	TimeoutMs     int    `json:"timeoutMs"`
	// transactional scenarios (issue 14)
	Transactional        bool   `json:"transactional"`
	TxnRecords           int    `json:"txnRecords"`
	TransactionalID      string `json:"transactionalId"`
	TransactionTimeoutMs int    `json:"transactionTimeoutMs"`
	// paced scenarios (issue 15): records/s offered, 0 = as fast as possible
	Rate float64 `json:"rate"`
	// SASL_SSL scenarios (issue 13), else nil
	Security *security `json:"security"`
}

type security struct {
	Protocol  string `json:"protocol"`
	CaPath    string `json:"caPath"`
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// securityOpts maps the harness's SASL_SSL settings onto kgo: TLS with the test CA (kgo sets the
// server name to the dialed host, so the broker certificate's IP SAN is checked) and SASL.
func securityOpts(sec *security) ([]kgo.Opt, error) {
	if sec.Protocol != "SASL_SSL" {
		return nil, fmt.Errorf("security protocol %q is not supported by this runner", sec.Protocol)
	}
	pem, err := os.ReadFile(sec.CaPath)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", sec.CaPath)
	}
	var m sasl.Mechanism
	switch sec.Mechanism {
	case "SCRAM-SHA-512":
		m = scram.Auth{User: sec.Username, Pass: sec.Password}.AsSha512Mechanism()
	case "SCRAM-SHA-256":
		m = scram.Auth{User: sec.Username, Pass: sec.Password}.AsSha256Mechanism()
	case "PLAIN":
		m = plain.Auth{User: sec.Username, Pass: sec.Password}.AsMechanism()
	default:
		return nil, fmt.Errorf("SASL mechanism %q is not supported by this runner", sec.Mechanism)
	}
	return []kgo.Opt{kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}), kgo.SASL(m)}, nil
}

// sampleEvery matches LATENCY_SAMPLE_EVERY in bench/lib/runner-common.mjs.
const sampleEvery = 64

func fail(err error) {
	out, _ := json.Marshal(map[string]string{"error": err.Error()})
	fmt.Println(string(out))
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: franz-go-bench <settings-json>"))
	}
	var s settings
	if err := json.Unmarshal([]byte(os.Args[1]), &s); err != nil {
		fail(err)
	}
	raw, err := os.ReadFile(s.PayloadFile)
	if err != nil {
		fail(err)
	}
	pool := bytes.Split(bytes.TrimSuffix(raw, []byte{'\n'}), []byte{'\n'})

	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(s.Bootstrap, ",")...),
		kgo.ClientID("bench-franz-go"),
		kgo.DefaultProduceTopic(s.Topic),
		kgo.ProducerBatchMaxBytes(s.BatchSize),
		kgo.ProducerLinger(time.Duration(s.LingerMs) * time.Millisecond),
		// The same client-side buffer bound every runner gets (the Java client's buffer.memory).
		kgo.MaxBufferedBytes(s.BufferMemory),
		kgo.MaxBufferedRecords(1 << 30),
	}
	if s.Security != nil {
		sec, err := securityOpts(s.Security)
		if err != nil {
			fail(err)
		}
		opts = append(opts, sec...)
	}
	if s.Acks == "all" {
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	} else {
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	}
	notes := ""
	if s.Transactional {
		if s.TxnRecords < 1 {
			fail(fmt.Errorf("transactional: txnRecords %d", s.TxnRecords))
		}
		opts = append(opts, kgo.TransactionalID(s.TransactionalID), kgo.TransactionTimeout(time.Duration(s.TransactionTimeoutMs)*time.Millisecond))
		notes = "transactional: BeginTransaction, the records, Flush + EndTransaction(TryCommit) timed together (the Java commitTransaction() flushes too); "
	}
	if s.Idempotence {
		// kgo rejects MaxProduceRequestsInflightPerBroker with idempotence and manages in-flight itself.
		notes += "idempotent: kgo's own in-flight limit (the option is invalid with idempotence)"
	} else {
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(s.MaxInFlight))
	}
	switch s.Compression {
	case "none":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	case "lz4":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		opts = append(opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	default:
		// never fall back to none: the run would be measured uncompressed under a compressed label
		fail(fmt.Errorf("compression %q is not supported by this runner", s.Compression))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		fail(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.TimeoutMs)*time.Millisecond)
	defer cancel()

	var firstErr atomic.Value
	var mu sync.Mutex
	// Paced scenarios: record i of a phase is due i/rate s after the phase starts; the runner sends
	// every record that is due, else sleeps until the next one is (at least 1 ms, as a Node timer),
	// and takes every measured record's latency, not 1 in 64.
	every := sampleEvery
	if s.Rate > 0 {
		every = 1
	}
	lat := make([]float64, 0, s.Records/every+1)
	maxLag := time.Duration(0)
	next := 0
	onAck := func(_ *kgo.Record, err error) {
		if err != nil {
			firstErr.CompareAndSwap(nil, err)
		}
	}
	// Transactions: Flush + EndTransaction(TryCommit) is kgo's commitTransaction() (EndTransaction
	// itself does not flush); its wall time is the commit latency.
	var commits []float64
	transactions := 0
	inTxn := 0
	commit := func(measure bool) {
		t0 := time.Now()
		if err := cl.Flush(ctx); err != nil {
			fail(err)
		}
		if e := firstErr.Load(); e != nil {
			fail(e.(error)) // a failed record: the transaction could only be aborted
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			fail(fmt.Errorf("EndTransaction(TryCommit): %w", err))
		}
		if measure {
			commits = append(commits, float64(time.Since(t0).Nanoseconds())/1e6)
		}
		transactions++
		inTxn = 0
	}
	run := func(total int, measure bool) {
		t0 := time.Now()
		if measure {
			maxLag = 0 // the warm-up's lag (first connections) is not reported
		}
		for i := 0; i < total; i++ {
			if s.Rate > 0 {
				due := t0.Add(time.Duration(float64(i) * 1e9 / s.Rate))
				for {
					d := time.Until(due)
					if d <= 0 {
						if -d > maxLag {
							maxLag = -d
						}
						break
					}
					if d < time.Millisecond {
						d = time.Millisecond
					}
					time.Sleep(d)
				}
			}
			if s.Transactional && inTxn == 0 {
				if err := cl.BeginTransaction(); err != nil {
					fail(fmt.Errorf("BeginTransaction: %w", err))
				}
			}
			r := &kgo.Record{Value: pool[next%len(pool)]}
			if measure && next%every == 0 {
				t0 := time.Now()
				cl.Produce(ctx, r, func(r *kgo.Record, err error) {
					d := float64(time.Since(t0).Nanoseconds()) / 1e6
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
					onAck(r, err)
				})
			} else {
				cl.Produce(ctx, r, onAck)
			}
			next++
			if s.Transactional {
				inTxn++
				if inTxn == s.TxnRecords || i == total-1 {
					commit(measure)
				}
			}
		}
		if err := cl.Flush(ctx); err != nil {
			fail(err)
		}
		if e := firstErr.Load(); e != nil {
			fail(e.(error))
		}
	}
	if s.WarmupRecords > 0 {
		run(s.WarmupRecords, false)
	}
	start := time.Now()
	run(s.Records, true)
	elapsed := float64(time.Since(start).Nanoseconds()) / 1e6

	result := map[string]any{
		"client":        "franz-go",
		"version":       kgoVersion(),
		"records":       s.Records,
		"warmupRecords": s.WarmupRecords,
		"elapsedMs":     elapsed,
		"latency":       summarize(lat, fmt.Sprintf("1 in %d records", sampleEvery)),
		"notes":         notes,
	}
	if s.Rate > 0 {
		result["latency"] = summarize(lat, fmt.Sprintf("every record, paced at %g records/s", s.Rate))
		result["paced"] = map[string]any{
			"rate":     s.Rate,
			"maxLagMs": float64(maxLag.Microseconds()) / 1000,
			"basis":    "each record sent at its due time i / rate (sleep, >= 1 ms): Produce call to its promise",
		}
	}
	if s.Transactional {
		total := 0.0
		for _, c := range commits {
			total += c
		}
		result["txn"] = map[string]any{
			"transactions":  transactions,
			"txnRecords":    s.TxnRecords,
			"commitLatency": summarize(commits, "every measured Flush + EndTransaction(TryCommit) (wall time)"),
			"commitTotalMs": total,
		}
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

// summarize gives p50/p99/p99.9/max (nearest rank, as summarizeLatency in bench/lib/runner-common.mjs), or nil.
func summarize(lat []float64, basis string) any {
	if len(lat) == 0 {
		return nil
	}
	sort.Float64s(lat)
	at := func(q float64) float64 {
		i := int(q*float64(len(lat))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(lat) {
			i = len(lat) - 1
		}
		return lat[i]
	}
	return map[string]any{"p50": at(0.5), "p99": at(0.99), "p999": at(0.999), "max": lat[len(lat)-1], "count": len(lat), "basis": basis}
}
