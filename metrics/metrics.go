package metrics

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// namespace prefixes every metric of the node.
const namespace = "sidenode"

// Snapshot is the node's state as one scrape reports it.
type Snapshot struct {
	// MainchainTip is the height of the last mainchain block applied to
	// the node's state (-1 before any).
	MainchainTip int32

	// BackendHeight is the backend's best block: btcd's tip, or the
	// neutrino light client's filter-header tip. BackendHeaderHeight is
	// its header tip (btcd's tip again).
	BackendHeight       int32
	BackendHeaderHeight int32

	// BackendConnected tells that the backend is connected; Synced that
	// the node has applied the backend's best block.
	BackendConnected bool
	Synced           bool

	// Neutrino is the light client's own state; nil on another backend,
	// whose families are then left out.
	Neutrino *NeutrinoSnapshot

	// SidechainTip is the sidechain tip's height, -1 for an empty chain.
	SidechainTip int32

	// Tickets counts the tickets in the index, LiveTickets those whose
	// publisher chain has not ended.
	Tickets     uint64
	LiveTickets uint64

	// TotalWeight is the lottery's total weight, rounded to the nearest
	// float64 (the exact value is a 128-bit integer).
	TotalWeight float64

	// Won, Published and Included count this node's draws won, header
	// transactions accepted by the mainchain node and publications
	// included in a mainchain block; MissReasons counts the won draws
	// that led to no publication, by reason. All count the draws on the
	// best chain since start (package producer), so a reorg may lower them.
	Won         uint64
	Published   uint64
	Included    uint64
	MissReasons map[string]uint64

	// Peers is the number of connected sidechain peers.
	Peers int

	// MempoolTxs and MempoolBytes are the sidechain mempool's
	// transactions and their total serialized size.
	MempoolTxs   int
	MempoolBytes int

	// PegUnexplainedSpends counts the spends of pegbox coins on the best
	// chain that no rule allows, and PegUnexplainedSat what they took
	// out of the pegbox (pegbox.Auditor). Anything but 0 is an alarm.
	// PegUncheckedSpends counts the payouts the node cannot check yet,
	// for lack of a sideblock body.
	PegUnexplainedSpends uint64
	PegUnexplainedSat    int64
	PegUncheckedSpends   uint64

	// Alarms tells, for every alarm reason's code (package alarms),
	// whether its alarm holds.
	Alarms map[string]bool

	// Pool is the mining pool's state; nil on a node that runs no pool,
	// whose sidenode_pool_ families are then left out.
	Pool *PoolSnapshot

	// Notarization is the state of dPoW notarization; nil on a network
	// without notaries, whose sidenode_notarization_ families are then
	// left out.
	Notarization *NotarizationSnapshot
}

// NotarizationSnapshot is how dPoW notarization stands (docs/protocol.md
// §13).
type NotarizationSnapshot struct {
	// Height is the last notarized sidechain height, -1 before the
	// first notarization; MainHeight the mainchain block that holds it
	// (-1 before the first) and Confirmations that block's.
	Height        int32
	MainHeight    int32
	Confirmations int32

	// LagBlocks is the number of sideblocks above the last notarized
	// height; Age the time since the mainchain block that holds it (0
	// before the first).
	LagBlocks int32
	Age       time.Duration

	// IrregularAge and InactiveAge are the network's alarm ages.
	IrregularAge, InactiveAge time.Duration

	// RefusedReorgs counts the sidechain reorgs the reorg guard refused
	// since the node started; Dropped the notarizations it saw that will
	// never count (a malformed payload, bad signatures, ...).
	RefusedReorgs uint64
	Dropped       uint64
}

// PoolSnapshot is the state of the node's mining pool: its Stratum
// server and its accounting.
type PoolSnapshot struct {
	// Connections are the open Stratum connections, Workers the workers
	// authorized on them.
	Connections int
	Workers     int

	// HashPS estimates the pool's hashes a second.
	HashPS float64

	// Accepted counts the shares accepted since start, Rejected those
	// refused, by Stratum error code and reason.
	Accepted uint64
	Rejected []ShareReject

	// Blocks counts the blocks the pool found, by status: "pending",
	// "confirmed", "orphaned".
	Blocks map[string]int

	// Owed is what the pool owes its workers now, Paid what it paid
	// them since its records began, in satoshis.
	Owed int64
	Paid int64

	// AuditOK tells that every block found balances: earned = paid +
	// owed + fee.
	AuditOK bool
}

// ShareReject counts the shares refused with one Stratum error code for
// one reason ("20", "bad_ntime").
type ShareReject struct {
	Code   string
	Reason string
	Count  uint64
}

// NeutrinoSnapshot is the state of the neutrino backend.
type NeutrinoSnapshot struct {
	FilterHeaderHeight int32
	Peers              int
}

// Source gives the node's state. Snapshot is called once per scrape, from
// the HTTP server's goroutines, possibly concurrently: it must be cheap and
// safe for concurrent use.
type Source interface {
	Snapshot() Snapshot
}

// Histogram buckets, in seconds.
var (
	// publicationBuckets span a header broadcast at the tip, a few
	// milliseconds after the announcement, to a slow one of seconds.
	publicationBuckets = []float64{
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
		0.1, 0.25, 0.5, 1, 2.5, 5,
	}

	// validationBuckets span an empty sideblock to a full one.
	validationBuckets = []float64{
		0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
		0.025, 0.05, 0.1, 0.25, 0.5, 1,
	}
)

// Config configures the metrics.
type Config struct {
	// Listen is the HTTP server's address, as host:port. Port 0 picks a
	// free port (see Addr).
	Listen string

	// Source gives the node's state at scrape time.
	Source Source
}

// Metrics holds the node's metrics in a registry of its own and serves them
// over HTTP. Create it with New. A nil *Metrics is valid: its methods do
// nothing.
type Metrics struct {
	cfg      Config
	registry *prometheus.Registry

	publication prometheus.Histogram
	validation  prometheus.Histogram

	mu      sync.Mutex
	server  *http.Server
	lis     net.Listener
	done    chan struct{} // closed when Serve has returned
	started bool
	stopped bool
}

// New builds the metrics of a node whose state src gives, in a registry of
// their own with the Go runtime and process collectors. It does not listen:
// call Start.
func New(cfg Config) (*Metrics, error) {
	if cfg.Source == nil {
		return nil, errors.New("metrics: no Source")
	}
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		return nil, fmt.Errorf("metrics: listen address %q: %w", cfg.Listen, err)
	}
	m := &Metrics{
		cfg:      cfg,
		registry: prometheus.NewRegistry(),
		publication: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "publication_latency_seconds",
			Help: "Time from the announcement of the mainchain block whose " +
				"draw this node won to the mainchain node's acceptance of " +
				"the header transaction.",
			Buckets: publicationBuckets,
		}),
		validation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "sideblock_validation_seconds",
			Help: "Time to validate a sideblock body and connect it to " +
				"the best chain.",
			Buckets: validationBuckets,
		}),
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStateCollector(cfg.Source),
		m.publication,
		m.validation,
	} {
		if err := m.registry.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return m, nil
}

// ObservePublication records the latency of one header publication: from
// the mainchain block's announcement to the header transaction's acceptance
// by the mainchain node.
func (m *Metrics) ObservePublication(d time.Duration) {
	if m == nil {
		return
	}
	m.publication.Observe(d.Seconds())
}

// ObserveValidation records the time taken to validate one sideblock body
// and connect it.
func (m *Metrics) ObserveValidation(d time.Duration) {
	if m == nil {
		return
	}
	m.validation.Observe(d.Seconds())
}

// Registry returns the private registry that holds the metrics.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.registry
}

// desc returns the description of a sidenode_ metric.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name),
		help, labels, nil)
}

// stateCollector turns one Snapshot per scrape into metrics.
type stateCollector struct {
	src Source

	mainchainTip, backendHeight, backendHeaderHeight *prometheus.Desc
	backendConnected, synced                         *prometheus.Desc
	neutrinoFilterHeight, neutrinoPeers              *prometheus.Desc
	sidechainTip                                     *prometheus.Desc
	tickets, liveTickets, totalWeight                *prometheus.Desc
	won, published, included, missed                 *prometheus.Desc
	peers, mempoolTxs, mempoolBytes                  *prometheus.Desc
	pegUnexplained, pegUnexplainedSat, pegUnchecked  *prometheus.Desc
	alarmActive                                      *prometheus.Desc

	poolConnections, poolWorkers, poolHashrate *prometheus.Desc
	poolAccepted, poolRejected, poolBlocks     *prometheus.Desc
	poolOwed, poolPaid, poolAuditOK            *prometheus.Desc

	notHeight, notMainHeight, notConfirmations *prometheus.Desc
	notLag, notAge, notIrregular, notInactive  *prometheus.Desc
	notRefused, notDropped                     *prometheus.Desc
}

func newStateCollector(src Source) *stateCollector {
	return &stateCollector{
		src: src,
		mainchainTip: desc("mainchain_tip_height",
			"Height of the last mainchain block applied to the node's state."),
		backendHeight: desc("mainchain_backend_height",
			"Best block of the mainchain backend: btcd's tip, or the "+
				"neutrino light client's filter-header tip."),
		backendHeaderHeight: desc("mainchain_backend_header_height",
			"Header tip of the mainchain backend (btcd: its tip)."),
		backendConnected: desc("mainchain_backend_connected",
			"1 when the mainchain backend is connected, else 0."),
		synced: desc("mainchain_synced",
			"1 when the node has applied the backend's best block, else 0."),
		neutrinoFilterHeight: desc("neutrino_filter_header_height",
			"Filter-header tip of the neutrino light client."),
		neutrinoPeers: desc("neutrino_peers",
			"Bitcoin peers of the neutrino light client."),
		sidechainTip: desc("sidechain_tip_height",
			"Height of the sidechain tip; -1 for an empty sidechain."),
		tickets: desc("tickets",
			"Tickets (stake registrations) in the ticket index."),
		liveTickets: desc("tickets_live",
			"Tickets whose publisher chain has not ended."),
		totalWeight: desc("lottery_total_weight",
			"Total weight of the stake lottery, rounded to a float64 "+
				"(exact below 2^53)."),
		won: desc("draws_won_total",
			"Lottery draws won by this node's tickets."),
		published: desc("headers_published_total",
			"Header transactions of this node accepted by the mainchain node."),
		included: desc("publications_included_total",
			"Publications of this node included in a mainchain block."),
		missed: desc("slots_missed_total",
			"Draws won by this node that led to no publication, by reason.",
			"reason"),
		peers: desc("p2p_peers",
			"Connected sidechain peers."),
		mempoolTxs: desc("mempool_transactions",
			"Transactions in the sidechain mempool."),
		mempoolBytes: desc("mempool_bytes",
			"Total serialized size of the sidechain mempool's transactions."),
		pegUnexplained: desc("peg_unexplained_spends",
			"Spends of pegbox coins on the best chain that are no valid "+
				"payout, rotation or fee bump of one; anything but 0 is an alarm."),
		pegUnexplainedSat: desc("peg_unexplained_satoshis",
			"What those spends took out of the pegbox, in satoshis."),
		pegUnchecked: desc("peg_unchecked_spends",
			"Payouts on the best chain this node cannot check yet: it lacks "+
				"the body of the sideblock they name."),
		alarmActive: desc("alarm_active",
			"1 while the node's alarm of the reason holds, else 0; one series "+
				"per reason (sidecli alarms says why).", "reason"),
		poolConnections: desc("pool_connections",
			"Open Stratum connections of the node's mining pool."),
		poolWorkers: desc("pool_workers",
			"Workers authorized on the pool's Stratum connections."),
		poolHashrate: desc("pool_hashrate_hashes_per_second",
			"Estimate of the pool's hashes a second, from the work of the "+
				"shares accepted over its hashrate window."),
		poolAccepted: desc("pool_shares_accepted_total",
			"Shares the pool accepted since the node started."),
		poolRejected: desc("pool_shares_rejected_total",
			"Shares the pool refused since the node started, by Stratum "+
				"error code (20 to 25) and reason.", "code", "reason"),
		poolBlocks: desc("pool_blocks_found",
			"Blocks the pool found, by status: pending, confirmed or "+
				"orphaned (a reorg moves a block from one to another).", "status"),
		poolOwed: desc("pool_owed_satoshis",
			"What the pool owes its workers now, in satoshis."),
		poolPaid: desc("pool_paid_satoshis",
			"What the pool has paid its workers, in satoshis: payouts on "+
				"the best chain and in the mempool (a payout reorganized "+
				"away and not sent again lowers it)."),
		poolAuditOK: desc("pool_audit_ok",
			"1 when every block the pool found balances (earned = paid + "+
				"owed + fee, to the satoshi), else 0; sidecli pool audit "+
				"says which does not."),
		notHeight: desc("notarization_height",
			"Sidechain height of the last notarization that counts; -1 "+
				"before the first."),
		notMainHeight: desc("notarization_mainchain_height",
			"Mainchain block that holds the last notarization; -1 before "+
				"the first."),
		notConfirmations: desc("notarization_confirmations",
			"Bitcoin confirmations of the last notarization; 0 before the first."),
		notLag: desc("notarization_lag_blocks",
			"Sideblocks above the last notarized height."),
		notAge: desc("notarization_age_seconds",
			"Time since the mainchain block that holds the last notarization; "+
				"0 before the first."),
		notIrregular: desc("notarization_irregular_age_seconds",
			"Age of the last notarization from which notarization is "+
				"irregular (the network's; Komodo's 2.5 hours)."),
		notInactive: desc("notarization_inactive_age_seconds",
			"Age of the last notarization from which notarization is "+
				"inactive (the network's; Komodo's 24 hours)."),
		notRefused: desc("notarization_refused_reorgs_total",
			"Sidechain reorgs the notarization guard refused since the node "+
				"started."),
		notDropped: desc("notarization_dropped_total",
			"Notarizations seen on the mainchain that will never count "+
				"(malformed, too few notaries, bad signatures, ...), since "+
				"the node started."),
	}
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.mainchainTip, c.backendHeight, c.backendHeaderHeight,
		c.backendConnected, c.synced, c.neutrinoFilterHeight,
		c.neutrinoPeers, c.sidechainTip, c.tickets, c.liveTickets,
		c.totalWeight, c.won, c.published, c.included, c.missed,
		c.peers, c.mempoolTxs, c.mempoolBytes,
		c.pegUnexplained, c.pegUnexplainedSat, c.pegUnchecked, c.alarmActive,
		c.poolConnections, c.poolWorkers, c.poolHashrate, c.poolAccepted,
		c.poolRejected, c.poolBlocks, c.poolOwed, c.poolPaid, c.poolAuditOK,
		c.notHeight, c.notMainHeight, c.notConfirmations, c.notLag, c.notAge,
		c.notIrregular, c.notInactive, c.notRefused, c.notDropped,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue,
			float64(v), labels...)
	}

	gauge(c.mainchainTip, float64(s.MainchainTip))
	gauge(c.backendHeight, float64(s.BackendHeight))
	gauge(c.backendHeaderHeight, float64(s.BackendHeaderHeight))
	gauge(c.backendConnected, boolValue(s.BackendConnected))
	gauge(c.synced, boolValue(s.Synced))
	if n := s.Neutrino; n != nil {
		gauge(c.neutrinoFilterHeight, float64(n.FilterHeaderHeight))
		gauge(c.neutrinoPeers, float64(n.Peers))
	}
	gauge(c.sidechainTip, float64(s.SidechainTip))
	gauge(c.tickets, float64(s.Tickets))
	gauge(c.liveTickets, float64(s.LiveTickets))
	gauge(c.totalWeight, s.TotalWeight)
	counter(c.won, s.Won)
	counter(c.published, s.Published)
	counter(c.included, s.Included)
	reasons := make([]string, 0, len(s.MissReasons))
	for r := range s.MissReasons {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		counter(c.missed, s.MissReasons[r], r)
	}
	gauge(c.peers, float64(s.Peers))
	gauge(c.pegUnexplained, float64(s.PegUnexplainedSpends))
	gauge(c.pegUnexplainedSat, float64(s.PegUnexplainedSat))
	gauge(c.pegUnchecked, float64(s.PegUncheckedSpends))
	gauge(c.mempoolTxs, float64(s.MempoolTxs))
	gauge(c.mempoolBytes, float64(s.MempoolBytes))
	codes := make([]string, 0, len(s.Alarms))
	for code := range s.Alarms {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		ch <- prometheus.MustNewConstMetric(c.alarmActive, prometheus.GaugeValue,
			boolValue(s.Alarms[code]), code)
	}
	if p := s.Pool; p != nil {
		c.collectPool(ch, p)
	}
	if n := s.Notarization; n != nil {
		gauge(c.notHeight, float64(n.Height))
		gauge(c.notMainHeight, float64(n.MainHeight))
		gauge(c.notConfirmations, float64(n.Confirmations))
		gauge(c.notLag, float64(n.LagBlocks))
		gauge(c.notAge, n.Age.Seconds())
		gauge(c.notIrregular, n.IrregularAge.Seconds())
		gauge(c.notInactive, n.InactiveAge.Seconds())
		counter(c.notRefused, n.RefusedReorgs)
		counter(c.notDropped, n.Dropped)
	}
}

// PoolBlockStatuses are the statuses of sidenode_pool_blocks_found, each
// written at every scrape, 0 or not.
var PoolBlockStatuses = []string{"pending", "confirmed", "orphaned"}

// collectPool writes the pool's families.
func (c *stateCollector) collectPool(ch chan<- prometheus.Metric, p *PoolSnapshot) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(c.poolConnections, float64(p.Connections))
	gauge(c.poolWorkers, float64(p.Workers))
	gauge(c.poolHashrate, p.HashPS)
	counter(c.poolAccepted, float64(p.Accepted))
	// One series per code and reason: a pair given twice is added up,
	// since the registry refuses duplicates.
	type key struct{ code, reason string }
	sums := make(map[key]uint64, len(p.Rejected))
	var order []key
	for _, r := range p.Rejected {
		k := key{r.Code, r.Reason}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += r.Count
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].code != order[j].code {
			return order[i].code < order[j].code
		}
		return order[i].reason < order[j].reason
	})
	for _, k := range order {
		counter(c.poolRejected, float64(sums[k]), k.code, k.reason)
	}
	for _, st := range PoolBlockStatuses {
		gauge(c.poolBlocks, float64(p.Blocks[st]), st)
	}
	gauge(c.poolOwed, float64(p.Owed))
	gauge(c.poolPaid, float64(p.Paid))
	gauge(c.poolAuditOK, boolValue(p.AuditOK))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
