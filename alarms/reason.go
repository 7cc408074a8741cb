package alarms

import "fmt"

// Reason is why an alarm is raised. Its Code is stable: the API, the
// metrics' reason label and the Prometheus rules use it.
type Reason int

// The reasons of an alarm, in the order the API lists them.
const (
	// SidechainStalled: no sideblock for Config.StallBlocks mainchain
	// blocks while tickets weigh something.
	SidechainStalled Reason = iota + 1

	// SuspectedCensorship: a header transaction of this node went out in
	// time, at a fee rate at or above the lowest rate the block that left
	// it out took (when the node knows it), and was not mined, and Config.CensorshipSlots of its
	// slots since its last included publication were lost that way or to
	// the refusals of the next headers that follow from it.
	SuspectedCensorship

	// FederationSilent: a signing round this node takes part in has
	// waited Config.SilentBlocks mainchain blocks below the threshold;
	// the message names the members whose signatures have not arrived.
	FederationSilent

	// PayoutOverdue: the oldest unpaid sideblock with withdrawals has
	// been payable for Config.PayoutOverdueBlocks mainchain blocks.
	PayoutOverdue

	// SupplyMismatch: the supply audit does not match: a spend of pegbox
	// coins that no rule allows (pegbox.Auditor).
	SupplyMismatch

	// BackendDisconnected: the mainchain backend has been disconnected
	// for Config.DisconnectedAfter.
	BackendDisconnected

	// BackendBehind: the node's mainchain tip is Config.BehindBlocks
	// behind the backend's best block, or the backend's best block has
	// not moved for Config.StaleTipAfter.
	BackendBehind

	// OwnSlotsMissed: this node's tickets missed Config.MissedSlots of
	// their last Config.MissedWindow decided slots.
	OwnSlotsMissed

	// PublisherLow: the publisher output of one of this wallet's live
	// tickets has fewer than Config.PublisherHeaders headers' worth
	// left, at the current header fee rate.
	PublisherLow

	// NotarizationIrregular: on a network with notaries, the sidechain
	// has a block to notarize and the last notarization that counts (or,
	// before the first, the first time the node saw a block to notarize)
	// is the network's IrregularAge old, but not InactiveAge.
	NotarizationIrregular

	// NotarizationInactive: the same, InactiveAge old or more.
	NotarizationInactive
)

// Reasons lists every reason, in order.
var Reasons = []Reason{SidechainStalled, SuspectedCensorship, FederationSilent,
	PayoutOverdue, SupplyMismatch, BackendDisconnected, BackendBehind, OwnSlotsMissed,
	PublisherLow, NotarizationIrregular, NotarizationInactive}

var reasonCodes = map[Reason]string{
	SidechainStalled:    "sidechain_stalled",
	SuspectedCensorship: "suspected_censorship",
	FederationSilent:    "federation_silent",
	PayoutOverdue:       "payout_overdue",
	SupplyMismatch:      "supply_mismatch",
	BackendDisconnected: "backend_disconnected",
	BackendBehind:       "backend_behind",
	OwnSlotsMissed:      "own_slots_missed",
	PublisherLow:        "publisher_low",

	NotarizationIrregular: "notarization_irregular",
	NotarizationInactive:  "notarization_inactive",
}

// Code returns the reason's stable code, as "sidechain_stalled".
func (r Reason) Code() string {
	if c, ok := reasonCodes[r]; ok {
		return c
	}
	return fmt.Sprintf("reason_%d", int(r))
}

// String returns the reason's code.
func (r Reason) String() string { return r.Code() }

// Severity says how urgent an alarm is.
type Severity int

// The severities.
const (
	// Warning: the node or the chain works less well than it should.
	Warning Severity = iota + 1

	// Critical: coins or the chain's progress are at stake.
	Critical
)

// String returns "warning" or "critical".
func (s Severity) String() string {
	if s == Critical {
		return "critical"
	}
	return "warning"
}

// Severity returns the reason's severity.
func (r Reason) Severity() Severity {
	switch r {
	case SidechainStalled, SupplyMismatch, PayoutOverdue, BackendDisconnected,
		NotarizationInactive:
		return Critical
	}
	return Warning
}
