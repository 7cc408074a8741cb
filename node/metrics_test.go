package node_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrapeMetrics GETs the node's /metrics and returns its samples by name
// (with labels, as the text format writes them).
func scrapeMetrics(addr string) (map[string]string, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	samples := make(map[string]string)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			samples[line[:i]] = line[i+1:]
		}
	}
	return samples, sc.Err()
}

// TestPrometheusMetrics runs a real sidenode over a real btcd with
// --prometheus.listen: a node whose metrics port is taken refuses to start
// and names the address; a node with a free port serves the mainchain tip
// that btcd has.
func TestPrometheusMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net0 := newNet(t, []string{"metrics"})
	node := net0.Nodes[0]
	if _, err := net0.H.Generate(3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A taken port: the node exits non-zero with the address in its
	// error.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	mark := node.Mark()
	if err := node.Start("--prometheus.listen=" + taken.Addr().String()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-node.Done():
	case <-ctx.Done():
		t.Fatal("the node runs with its metrics port taken")
	}
	if code := node.ExitCode(); code == 0 {
		t.Fatal("the node exited with status 0 with its metrics port taken")
	}
	want := "metrics server cannot listen on " + taken.Addr().String()
	if _, err := node.WaitContains(ctx, mark, want); err != nil {
		t.Fatalf("no %q in the node's output: %v", want, err)
	}

	// The free port the devnet picked (btctest.FreePort): the metrics
	// follow btcd's tip.
	addr := node.MetricsAddr
	mark = node.Mark()
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := node.WaitContains(ctx, mark, "Metrics server listening on http://"+addr); err != nil {
		t.Fatal(err)
	}
	// waitHeight scrapes until the mainchain tip is btcd's, and returns the
	// last scrape.
	waitHeight := func() map[string]string {
		t.Helper()
		height, _, err := net0.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		want := strconv.Itoa(int(height))
		for {
			got, err := scrapeMetrics(addr)
			if err == nil && got["sidenode_mainchain_tip_height"] == want &&
				got["sidenode_mainchain_synced"] == "1" {
				return got
			}
			select {
			case <-ctx.Done():
				t.Fatalf("sidenode_mainchain_tip_height never reached %s: %v (%v)",
					want, got["sidenode_mainchain_tip_height"], err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitHeight()
	if _, err := net0.H.Generate(3); err != nil {
		t.Fatal(err)
	}
	got := waitHeight()

	height, _, _ := net0.H.Tip()
	for name, value := range map[string]string{
		"sidenode_mainchain_backend_height":    strconv.Itoa(int(height)),
		"sidenode_mainchain_backend_connected": "1",
		"sidenode_sidechain_tip_height":        "-1",
		"sidenode_tickets":                     "0",
		"sidenode_tickets_live":                "0",
		"sidenode_lottery_total_weight":        "0",
		"sidenode_draws_won_total":             "0",
		"sidenode_p2p_peers":                   "0",
		"sidenode_mempool_transactions":        "0",
		"sidenode_mempool_bytes":               "0",
	} {
		if got[name] != value {
			t.Errorf("%s = %q, want %q", name, got[name], value)
		}
	}
	for _, name := range []string{
		"sidenode_publication_latency_seconds_count",
		"sidenode_sideblock_validation_seconds_count",
		"go_goroutines",
	} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}
	stopClean(t, node)
}
