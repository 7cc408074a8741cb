package alarms

import (
	"math"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Sources are what the Monitor reads. Any of them may be nil: its checks
// then never raise.
type Sources struct {
	Progress Progress
	Slots    OwnSlots
	Fees     HeaderFees
	Signing  Signing
	Payouts  Payouts
	Audit    Audit
	Backend  Backend

	// Publishers reads the publisher outputs of this wallet's live
	// tickets.
	Publishers Publishers

	// Notarization reads the lag of dPoW notarization; nil on a network
	// without notaries.
	Notarization Notarization
}

// NotarizationLag is how far dPoW notarization is behind (docs/protocol.md
// §13).
type NotarizationLag struct {
	// Notarized tells that a notarization counts: Age is the time since
	// the mainchain block that holds the last one, at sidechain height
	// LastHeight.
	Notarized  bool
	Age        time.Duration
	LastHeight int32

	// Due tells that the sidechain has a block to notarize above the
	// last notarized height (notarize.RoundTarget gives one).
	Due bool

	// IrregularAge and InactiveAge are the network's alarm ages.
	IrregularAge, InactiveAge time.Duration
}

// Notarization reads the lag of dPoW notarization at time now.
type Notarization interface {
	NotarizationLag(now time.Time) (NotarizationLag, error)
}

// ChainProgress is where the two chains stand after a mainchain block.
type ChainProgress struct {
	// MainTip is the height of the node's mainchain tip.
	MainTip int32

	// SideTipPub is the mainchain height of the block that published the
	// best sidechain tip's header; -1 for an empty sidechain.
	SideTipPub int32

	// Weighing tells whether the tickets weigh something after MainTip:
	// the draw after it has a winner.
	Weighing bool
}

// Progress reads the two chains' progress.
type Progress interface {
	ChainProgress() (ChainProgress, error)
}

// SlotCounts count this node's won draws on the best chain since it
// started (package producer's Stats): included, missed, and of the missed
// ones, those whose header went out but the next block did not carry
// (NotMined) and those whose header the mainchain node refused (Refused:
// among them the headers that spend the publisher output again while an
// earlier header the miners left out still waits in its mempool).
//
// NotMined counts the misses whose header went out in time and whose fee
// rate does not explain them: the producer's "not included" (the block
// took transactions at or below the header's rate) and "not mined" (the
// node cannot compare the rates); not "fee too low".
//
// Recent are the outcomes of this node's latest decided draws, oldest
// first, true for a miss (at least Config.MissedWindow of them when there
// are that many).
type SlotCounts struct {
	Included uint64
	Missed   uint64
	NotMined uint64
	Refused  uint64
	Recent   []bool
}

// OwnSlots reads this node's slot counts; the producer keeps a typed
// reason for each miss (its Stats and the API's missed slots).
type OwnSlots interface {
	OwnSlots() SlotCounts
}

// HeaderFees gives the fee rates behind the censorship check, in sat/kvB:
// the rate of this node's latest header transaction that the next block
// left out, and the lowest rate among that block's transactions that the
// node saw in the mainchain node's mempool, when it knows it (known
// false: the check then rests on the headers left out alone, and says
// so).
type HeaderFees interface {
	HeaderFeeRate() int64
	BlockFeeFloor() (satPerKVB int64, known bool)
}

// Publisher is the publisher output of one of this wallet's live tickets.
type Publisher struct {
	Ticket uint64

	// Value is the output's value, sat; HeaderFee what one header
	// transaction pays at the current rate, sat.
	Value     int64
	HeaderFee int64
}

// Headers returns how many headers the output pays for at HeaderFee.
func (p Publisher) Headers() int64 {
	if p.HeaderFee <= 0 {
		return math.MaxInt64
	}
	return p.Value / p.HeaderFee
}

// Publishers reads the publisher outputs of this wallet's live tickets.
type Publishers interface {
	Publishers() ([]Publisher, error)
}

// Round is a signing round of the federation, a payout or a rotation,
// that has not reached its threshold.
type Round struct {
	// What names the spend ("payout of sideblock …").
	What string
	TxID chainhash.Hash

	// Since is the mainchain height at which this node signed it.
	Since int32

	// Threshold is the signatures needed; Signers those it has.
	Threshold int
	Signers   int

	// Silent are the members (compressed keys, hex) whose signature has
	// not arrived.
	Silent []string
}

// Signing reads the federation's signing round this node takes part in;
// ok false when none waits for signatures.
type Signing interface {
	OpenRound() (r Round, ok bool)
}

// Unpaid is the oldest sideblock of the best sidechain whose withdrawals
// are not paid.
type Unpaid struct {
	SideBlock  chainhash.Hash
	SideHeight int32

	// PayableSince is the mainchain height from which the payout rules'
	// depths (SideWithdrawalDepth, WithdrawalConfirmations) let the
	// federation pay it; Payable false while they do not yet.
	Payable      bool
	PayableSince int32
}

// Payouts reads the oldest unpaid sideblock; ok false when every
// withdrawal is paid.
type Payouts interface {
	OldestUnpaid() (u Unpaid, ok bool, err error)
}

// Audit reads the supply audit's latest figures (pegbox.Auditor.Last):
// the spends of pegbox coins that no rule allows and what they took.
type Audit interface {
	Unexplained() (spends int, sat int64)
}

// BackendStatus is the mainchain backend's state as the node sees it.
type BackendStatus struct {
	// Name is the backend, "btcd" or "neutrino".
	Name      string
	Connected bool

	// Best is the backend's best block; NodeTip the node's mainchain tip.
	Best    int32
	NodeTip int32

	// Err is the backend's last error, if any.
	Err string
}

// Backend reads the mainchain backend's state.
type Backend interface {
	BackendStatus() BackendStatus
}
