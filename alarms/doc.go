// Package alarms watches the node's state for conditions an operator must
// act on, and raises and clears an alarm for each, with a typed reason.
//
// # How the parts fit
//
// A Monitor holds the active alarms, at most one per Reason. The node
// gives it its Sources, small interfaces defined here that the node's
// components satisfy through thin adapters (node/alarms.go), and its
// thresholds (Config, the --alarms.* options). Two kinds of check run:
//
//   - chain checks (Monitor.Evaluate), from the chain's state after each
//     mainchain block: the sidechain stalled, suspected censorship of
//     this node's headers, this node missing its own slots (misses among
//     its latest decided slots), the publisher output of one of its
//     tickets running low, federation members silent in a signing round,
//     a payout overdue and a supply audit mismatch. The node calls BlockCommitted after each block's
//     batch is on disk, and when late bodies move the sidechain tip; Run
//     evaluates on its own goroutine, so that block processing never
//     waits for the alarms.
//   - backend checks (Monitor.CheckBackend), on a timer (Config.Interval):
//     the mainchain backend disconnected, or behind. They take the time
//     as an argument, so tests drive them with a clock of their own.
//
// Each check is a pure function of its Source's figures and the few
// counters the Monitor keeps between evaluations (the mainchain height at
// which tickets began to weigh, the slot counts at this node's last
// included publication, when the backend was last seen connected and when
// its best block last moved). Raising an alarm logs a warning line,
// clearing it an info line; both are events that Changed signals and
// EventsAfter reads (a bounded log of the newest MaxEvents), which the
// API's alarm stream follows. Active returns the alarms that hold, for
// ListAlarms and the metrics' gauge per reason (sidenode_alarm_active).
//
// A check whose Source is nil (a node without a wallet has no slots of its
// own, one outside the federation no signing rounds) never raises its
// alarm. The counters are kept in memory: after a restart the streaks
// start from zero, as the producer's slot counts do.
//
// The package logs under the subsystem tag ALRM.
package alarms
