// Command sfsync-top shows a running sfsync pipeline at a glance: it
// scrapes the /metrics endpoints of the producer, the consumer replicas and
// the reconciler every few seconds and prints events/s in and out,
// end-to-end freshness p50/p99, lag and each replica's share. `make demo`
// runs it; it works against any deployment whose metrics it can reach.
//
//	sfsync-top --producer http://127.0.0.1:9464 --consumer http://127.0.0.1:9465,http://127.0.0.1:9466
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"
)

func main() {
	var producers, consumers, reconcilers string
	interval := flag.Duration("interval", 2*time.Second, "refresh interval")
	once := flag.Bool("once", false, "print one report (after one interval) and exit")
	flag.StringVar(&producers, "producer", "http://127.0.0.1:9464", "producer metrics base URLs, comma-separated")
	flag.StringVar(&consumers, "consumer", "http://127.0.0.1:9465", "consumer metrics base URLs, comma-separated")
	flag.StringVar(&reconcilers, "reconciler", "", "reconciler metrics base URLs, comma-separated (optional)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t := &top{
		client:      &http.Client{Timeout: *interval},
		producers:   split(producers),
		consumers:   split(consumers),
		reconcilers: split(reconcilers),
		prev:        map[string]*sample{},
	}
	clear := term.IsTerminal(int(os.Stdout.Fd())) && !*once
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	t.scrape(ctx) // the baseline of the first rates
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		report := t.report(ctx)
		if clear {
			fmt.Print("\033[H\033[2J")
		}
		fmt.Print(report)
		if *once {
			return
		}
	}
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.TrimSuffix(p, "/"))
		}
	}
	return out
}

// top keeps the previous scrape of every endpoint to compute rates.
type top struct {
	client                            *http.Client
	producers, consumers, reconcilers []string
	prev                              map[string]*sample
}

// fetch scrapes base/metrics.
func (t *top) fetch(ctx context.Context, base string) (*sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return parse(body, time.Now())
}

// scrape fetches every endpoint and returns the new and previous samples.
func (t *top) scrape(ctx context.Context) map[string][2]*sample {
	out := map[string][2]*sample{}
	for _, group := range [][]string{t.producers, t.consumers, t.reconcilers} {
		for _, base := range group {
			s, err := t.fetch(ctx, base)
			if err != nil {
				s = &sample{err: err}
			}
			out[base] = [2]*sample{s, t.prev[base]}
			if s.err == nil {
				t.prev[base] = s
			}
		}
	}
	return out
}

func (t *top) report(ctx context.Context) string {
	samples := t.scrape(ctx)
	var b strings.Builder
	fmt.Fprintf(&b, "sfsync — %s   (every %s; Ctrl-C stops)\n\n", time.Now().Format("15:04:05"), t.client.Timeout)

	var inRate, inTotal float64
	var credits float64
	for _, base := range t.producers {
		cur, prev := samples[base][0], samples[base][1]
		if cur.err != nil {
			fmt.Fprintf(&b, "  producer %s: unreachable (%v)\n", base, cur.err)
			continue
		}
		inRate += rate(cur, prev, "sfsync_producer_records_written_total")
		inTotal += cur.sum("sfsync_producer_records_written_total")
		credits += cur.sum("sfsync_producer_credits_outstanding")
	}
	fmt.Fprintf(&b, "  Salesforce → Kafka       %9.0f events/s    %10.0f written    credits outstanding %.0f\n", inRate, inTotal, credits)

	var outRate, outTotal, lag, dlq float64
	var fresh histogram
	var rows []string
	for i, base := range t.consumers {
		cur, prev := samples[base][0], samples[base][1]
		if cur.err != nil {
			rows = append(rows, fmt.Sprintf("    replica %d  %-24s unreachable (%v)", i+1, base, cur.err))
			continue
		}
		r := rate(cur, prev, "sfsync_consumer_envelopes_applied_total")
		outRate += r
		outTotal += cur.sum("sfsync_consumer_envelopes_applied_total")
		lag += cur.sum("sfsync_consumer_lag_records")
		dlq += cur.sum("sfsync_consumer_dead_letters_total")
		fresh.add(cur.histogram("sfsync_consumer_freshness_seconds").minus(prev.histogram("sfsync_consumer_freshness_seconds")))
		rows = append(rows, fmt.Sprintf("    replica %d  %-24s partitions %3.0f   %8.0f envelopes/s   dedup hits %.0f",
			i+1, base, cur.sum("sfsync_consumer_partitions_assigned"), r, cur.sum("sfsync_consumer_dedup_hits_total")))
	}
	fmt.Fprintf(&b, "  Kafka → PostgreSQL       %9.0f envelopes/s %10.0f applied    lag %.0f    dead letters %.0f\n", outRate, outTotal, lag, dlq)
	if fresh.count() > 0 {
		fmt.Fprintf(&b, "  freshness (Salesforce commit → PostgreSQL row, last %s):  p50 %s   p99 %s\n",
			t.client.Timeout, seconds(fresh.quantile(0.5)), seconds(fresh.quantile(0.99)))
	} else {
		fmt.Fprintf(&b, "  freshness: no changes applied in the last %s\n", t.client.Timeout)
	}
	fmt.Fprintf(&b, "\n  consumer replicas:\n%s\n", strings.Join(rows, "\n"))

	for _, base := range t.reconcilers {
		cur := samples[base][0]
		if cur.err != nil {
			fmt.Fprintf(&b, "\n  reconciler %s: unreachable (%v)\n", base, cur.err)
			continue
		}
		b.WriteString("\n  reconciler:")
		last := cur.max("sfsync_reconciler_last_verify_timestamp_seconds")
		if last == 0 {
			b.WriteString(" no verify finished yet\n")
			continue
		}
		fmt.Fprintf(&b, " last verify %s ago, drift found %.0f, repaired %.0f\n",
			time.Since(time.Unix(int64(last), 0)).Round(time.Second),
			cur.sum("sfsync_reconciler_last_verify_drift_records"), cur.sum("sfsync_reconciler_repaired_total"))
	}
	return b.String()
}

func seconds(s float64) string {
	switch {
	case s != s: // NaN
		return "-"
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1000)
	default:
		return fmt.Sprintf("%.2f s", s)
	}
}
