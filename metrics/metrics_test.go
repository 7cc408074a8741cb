package metrics_test

import (
	"bufio"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mainstake/sidenode/metrics"
)

// fakeSource returns a fixed Snapshot and counts the calls.
type fakeSource struct {
	mu    sync.Mutex
	snap  metrics.Snapshot
	calls int
}

func (f *fakeSource) Snapshot() metrics.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.snap
}

func testSnapshot() metrics.Snapshot {
	return metrics.Snapshot{
		MainchainTip:        120,
		BackendHeight:       121,
		BackendHeaderHeight: 125,
		BackendConnected:    true,
		Synced:              false,
		Neutrino:            &metrics.NeutrinoSnapshot{FilterHeaderHeight: 121, Peers: 3},
		SidechainTip:        17,
		Tickets:             9,
		LiveTickets:         7,
		TotalWeight:         3.5e20, // above 2^64
		Won:                 5,
		Published:           4,
		Included:            3,
		MissReasons:         map[string]uint64{"late": 1, "no key": 2},
		Peers:               2,
		MempoolTxs:          6,
		MempoolBytes:        1234,

		PegUnexplainedSpends: 2,
		PegUnexplainedSat:    44_000,
		PegUncheckedSpends:   3,

		Alarms: map[string]bool{"sidechain_stalled": true, "backend_behind": false},

		Pool: &metrics.PoolSnapshot{
			Connections: 1200, Workers: 40, HashPS: 2.5e12, Accepted: 90_000,
			Rejected: []metrics.ShareReject{
				{Code: "23", Reason: "low_difficulty", Count: 7},
				{Code: "21", Reason: "stale", Count: 3},
				{Code: "20", Reason: "bad_ntime", Count: 2},
				{Code: "21", Reason: "stale", Count: 1}, // added to the first
			},
			Blocks: map[string]int{"confirmed": 4, "orphaned": 1},
			Owed:   123_456, Paid: 9_000_000_000, AuditOK: true,
		},

		Notarization: &metrics.NotarizationSnapshot{Height: 15, MainHeight: 130,
			Confirmations: 3, LagBlocks: 4, Age: 90 * time.Second,
			IrregularAge: 5 * time.Minute, InactiveAge: 48 * time.Minute,
			RefusedReorgs: 2, Dropped: 1},
	}
}

// start starts metrics on a free loopback port and stops them when the test
// ends.
func start(t *testing.T, src metrics.Source) *metrics.Metrics {
	t.Helper()
	m, err := metrics.New(metrics.Config{Listen: "127.0.0.1:0", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return m
}

// scrape GETs /metrics and returns the samples by their name with labels,
// as the text format writes them.
func scrape(t *testing.T, addr net.Addr) map[string]string {
	t.Helper()
	resp, err := http.Get("http://" + addr.String() + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", metrics.Path, resp.Status, body)
	}
	samples := make(map[string]string)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("malformed sample %q", line)
		}
		samples[line[:i]] = line[i+1:]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return samples
}

func TestScrape(t *testing.T) {
	src := &fakeSource{snap: testSnapshot()}
	m := start(t, src)
	m.ObservePublication(3 * time.Millisecond)
	m.ObservePublication(40 * time.Millisecond)
	m.ObserveValidation(200 * time.Microsecond)

	got := scrape(t, m.Addr())
	want := map[string]string{
		"sidenode_mainchain_tip_height":                              "120",
		"sidenode_mainchain_backend_height":                          "121",
		"sidenode_mainchain_backend_header_height":                   "125",
		"sidenode_mainchain_backend_connected":                       "1",
		"sidenode_mainchain_synced":                                  "0",
		"sidenode_neutrino_filter_header_height":                     "121",
		"sidenode_neutrino_peers":                                    "3",
		"sidenode_sidechain_tip_height":                              "17",
		"sidenode_tickets":                                           "9",
		"sidenode_tickets_live":                                      "7",
		"sidenode_lottery_total_weight":                              "3.5e+20",
		"sidenode_draws_won_total":                                   "5",
		"sidenode_headers_published_total":                           "4",
		"sidenode_publications_included_total":                       "3",
		`sidenode_slots_missed_total{reason="late"}`:                 "1",
		`sidenode_slots_missed_total{reason="no key"}`:               "2",
		"sidenode_p2p_peers":                                         "2",
		"sidenode_mempool_transactions":                              "6",
		"sidenode_mempool_bytes":                                     "1234",
		"sidenode_peg_unexplained_spends":                            "2",
		"sidenode_peg_unexplained_satoshis":                          "44000",
		"sidenode_peg_unchecked_spends":                              "3",
		`sidenode_alarm_active{reason="sidechain_stalled"}`:          "1",
		`sidenode_alarm_active{reason="backend_behind"}`:             "0",
		"sidenode_publication_latency_seconds_count":                 "2",
		`sidenode_publication_latency_seconds_bucket{le="0.0025"}`:   "0",
		`sidenode_publication_latency_seconds_bucket{le="0.005"}`:    "1",
		`sidenode_publication_latency_seconds_bucket{le="0.05"}`:     "2",
		`sidenode_publication_latency_seconds_bucket{le="+Inf"}`:     "2",
		"sidenode_sideblock_validation_seconds_count":                "1",
		`sidenode_sideblock_validation_seconds_bucket{le="0.0001"}`:  "0",
		`sidenode_sideblock_validation_seconds_bucket{le="0.00025"}`: "1",

		"sidenode_pool_connections":                                              "1200",
		"sidenode_pool_workers":                                                  "40",
		"sidenode_pool_hashrate_hashes_per_second":                               "2.5e+12",
		"sidenode_pool_shares_accepted_total":                                    "90000",
		`sidenode_pool_shares_rejected_total{code="20",reason="bad_ntime"}`:      "2",
		`sidenode_pool_shares_rejected_total{code="21",reason="stale"}`:          "4",
		`sidenode_pool_shares_rejected_total{code="23",reason="low_difficulty"}`: "7",
		`sidenode_pool_blocks_found{status="pending"}`:                           "0",
		`sidenode_pool_blocks_found{status="confirmed"}`:                         "4",
		`sidenode_pool_blocks_found{status="orphaned"}`:                          "1",
		"sidenode_pool_owed_satoshis":                                            "123456",
		"sidenode_pool_paid_satoshis":                                            "9e+09",
		"sidenode_pool_audit_ok":                                                 "1",
		"sidenode_notarization_height":                                           "15",
		"sidenode_notarization_mainchain_height":                                 "130",
		"sidenode_notarization_confirmations":                                    "3",
		"sidenode_notarization_lag_blocks":                                       "4",
		"sidenode_notarization_age_seconds":                                      "90",
		"sidenode_notarization_irregular_age_seconds":                            "300",
		"sidenode_notarization_inactive_age_seconds":                             "2880",
		"sidenode_notarization_refused_reorgs_total":                             "2",
		"sidenode_notarization_dropped_total":                                    "1",
	}
	for name, value := range want {
		if got[name] != value {
			t.Errorf("%s = %q, want %q", name, got[name], value)
		}
	}
	if sum, err := strconv.ParseFloat(got["sidenode_publication_latency_seconds_sum"], 64); err != nil ||
		math.Abs(sum-0.043) > 1e-9 {
		t.Errorf("sidenode_publication_latency_seconds_sum = %q, want 0.043",
			got["sidenode_publication_latency_seconds_sum"])
	}
	// The Go runtime and process collectors are registered too.
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}
	if src.calls != 1 {
		t.Errorf("one scrape took %d snapshots, want 1", src.calls)
	}
}

func TestScrapeWithoutNeutrino(t *testing.T) {
	snap := testSnapshot()
	snap.Neutrino, snap.MissReasons, snap.Pool, snap.Notarization = nil, nil, nil, nil
	snap.SidechainTip = -1
	m := start(t, &fakeSource{snap: snap})

	got := scrape(t, m.Addr())
	for name := range got {
		if strings.HasPrefix(name, "sidenode_neutrino_") ||
			strings.HasPrefix(name, "sidenode_slots_missed_total") ||
			strings.HasPrefix(name, "sidenode_pool_") ||
			strings.HasPrefix(name, "sidenode_notarization_") {
			t.Errorf("unexpected %s", name)
		}
	}
	if v := got["sidenode_sidechain_tip_height"]; v != "-1" {
		t.Errorf("sidenode_sidechain_tip_height = %q, want -1", v)
	}
	// Histograms are there before any observation, with zero counts.
	if v := got["sidenode_sideblock_validation_seconds_count"]; v != "0" {
		t.Errorf("sidenode_sideblock_validation_seconds_count = %q, want 0", v)
	}
}

func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	m.ObservePublication(time.Second)
	m.ObserveValidation(time.Second)
	if err := m.Start(); err != nil {
		t.Errorf("Start: %v", err)
	}
	if m.Addr() != nil {
		t.Error("Addr of nil metrics is not nil")
	}
	if m.Registry() != nil {
		t.Error("Registry of nil metrics is not nil")
	}
	if err := m.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

func TestPortTaken(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	addr := lis.Addr().String()

	m, err := metrics.New(metrics.Config{Listen: addr, Source: &fakeSource{}})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Start()
	if err == nil {
		m.Stop()
		t.Fatalf("Start on the taken address %s succeeded", addr)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the address %s", err, addr)
	}
	if err := m.Stop(); err != nil {
		t.Errorf("Stop after a failed Start: %v", err)
	}
}

func TestStop(t *testing.T) {
	m, err := metrics.New(metrics.Config{Listen: "127.0.0.1:0", Source: &fakeSource{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	addr := m.Addr().String()
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	// The port is free again: the listener is closed.
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("address %s still taken after Stop: %v", addr, err)
	}
	lis.Close()
	if err := m.Start(); err == nil {
		t.Fatal("Start after Stop succeeded")
	}
}

func TestNewErrors(t *testing.T) {
	for _, cfg := range []metrics.Config{
		{Listen: "127.0.0.1:0"},                      // no source
		{Listen: "127.0.0.1", Source: &fakeSource{}}, // no port
		{Listen: "", Source: &fakeSource{}},          // nothing
	} {
		if _, err := metrics.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
