/*
Package metrics exports the node's metrics to Prometheus over HTTP. It has
one concern: turning what the node knows into metric families on /metrics.
It holds no node state and imports no other package of the node; the node
feeds it through two channels.

# State, read at scrape time

The node implements Source. On every scrape the package calls
Source.Snapshot once and turns the Snapshot into gauges and counters, so
that the figures of one scrape are consistent with each other and nothing
is copied between scrapes. Snapshot must be cheap and safe for concurrent
use: it runs on the HTTP server's goroutines.

# Events, observed by the node

Durations the node measures are observed through typed methods:
ObservePublication for the latency of a header publication and
ObserveValidation for the time to validate and connect one sideblock body.
Every method of a nil *Metrics does nothing, so the node calls them
whether or not metrics are enabled.

# Metric families

All names start with sidenode_ and use base units (seconds, bytes);
counters end in _total.

	sidenode_mainchain_tip_height              gauge    last mainchain block applied to the node's state
	sidenode_mainchain_backend_height          gauge    the backend's best block (btcd's tip; neutrino's filter-header tip)
	sidenode_mainchain_backend_header_height   gauge    the backend's header tip (btcd: its tip)
	sidenode_mainchain_backend_connected       gauge    1 when the backend is connected
	sidenode_mainchain_synced                  gauge    1 when the node has applied the backend's best block
	sidenode_neutrino_filter_header_height     gauge    neutrino backend only: its filter-header tip
	sidenode_neutrino_peers                    gauge    neutrino backend only: its connected Bitcoin peers
	sidenode_sidechain_tip_height              gauge    height of the sidechain tip (-1 for an empty chain)
	sidenode_tickets                           gauge    tickets in the index
	sidenode_tickets_live                      gauge    tickets whose publisher chain has not ended
	sidenode_lottery_total_weight              gauge    total lottery weight, as a float64 (see below)
	sidenode_draws_won_total                   counter  draws won by this node's tickets
	sidenode_headers_published_total           counter  header transactions accepted by the mainchain node
	sidenode_publications_included_total       counter  this node's publications included in a mainchain block
	sidenode_slots_missed_total{reason}        counter  won draws that led to no publication, by reason
	sidenode_p2p_peers                         gauge    connected sidechain peers
	sidenode_mempool_transactions              gauge    transactions in the sidechain mempool
	sidenode_mempool_bytes                     gauge    their total serialized size
	sidenode_peg_unexplained_spends            gauge    pegbox spends no rule allows, on the best chain (alarm when not 0)
	sidenode_peg_unexplained_satoshis          gauge    what they took out of the pegbox
	sidenode_peg_unchecked_spends              gauge    payouts not checked yet, for lack of a sideblock body
	sidenode_publication_latency_seconds       histogram  block announcement to header tx accepted
	sidenode_sideblock_validation_seconds      histogram  validating and connecting one sideblock body
	sidenode_pool_connections                  gauge    pool only: open Stratum connections
	sidenode_pool_workers                      gauge    pool only: workers authorized on them
	sidenode_pool_hashrate_hashes_per_second   gauge    pool only: the pool's hashrate estimate
	sidenode_pool_shares_accepted_total        counter  pool only: shares accepted
	sidenode_pool_shares_rejected_total{code,reason}  counter  pool only: shares refused, by Stratum code and reason
	sidenode_pool_blocks_found{status}         gauge    pool only: blocks found, pending, confirmed or orphaned
	sidenode_pool_owed_satoshis                gauge    pool only: what the pool owes its workers
	sidenode_pool_paid_satoshis                gauge    pool only: what it has paid them
	sidenode_pool_audit_ok                     gauge    pool only: 1 when every block found balances

The counters count since the process started. A reason of
sidenode_slots_missed_total appears once it has been counted.

The sidenode_pool_ families are there only on a node that runs a mining
pool (Snapshot.Pool set; --stratum on a pow network). The series of
sidenode_pool_shares_rejected_total are those the Snapshot lists; the node
lists all seven at every scrape, 0 or not: code 20 with the reasons other
and bad_ntime, 21 stale, 22 duplicate, 23 low_difficulty, 24
unauthorized, 25 not_subscribed. sidenode_pool_blocks_found writes all
three statuses at every scrape; a block moves between them (a reorg
orphans it, its depth confirms it), so it is a gauge. Paid is a gauge as
well: a payout reorganized away and not sent again lowers it. TestExpositionLint
runs Prometheus' linter over the exposition and TestExpositionPromtool
runs promtool check metrics when it is installed.

A publication's latency runs from the announcement of the mainchain block
whose draw the node won (mainwatch.Block.Announced) to the mainchain node's
acceptance of the header transaction; for a block met during a catch-up,
which no announcement named, it runs from the start of the production. The
validation time covers the checks of one body (CheckBlockSanity,
CheckConnectBlock) and its connection to the best chain, inside the
mainchain block's batch; a block reconnected after a reorg, which is not
checked again, is not observed.

The total lottery weight is a 128-bit integer that exceeds 2^64 on real
stakes (a value in satoshis times a lock in blocks, summed). Prometheus
samples are float64, so the gauge carries the nearest float64: exact below
2^53, otherwise within a relative error of 2^-53, which no dashboard can
see. The exact value is in the API (sidecli status, the lottery lines of
the log).

The registry is private to the Metrics value, not Prometheus' global
default, and also holds the Go runtime and process collectors
(go_*, process_*).

# Server

Start binds the listen address before it returns, so that a taken port
fails the node's start-up with an error that names the address; the HTTP
server then serves /metrics until Stop. Listening on an address that is not
loopback is allowed and logged as a warning: the metrics have no
authentication.
*/
package metrics
