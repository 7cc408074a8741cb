package pool

import (
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// recordVersion is the first byte of every record, for later formats.
const recordVersion = 1

// shareRec is a share as stored: the Share with its sequence number and
// its PPS credit.
type shareRec struct {
	seq     uint64
	time    int64 // unix nanoseconds
	worker  string
	payout  []byte
	work    *big.Int
	netWork *big.Int
	reward  int64
	height  int32
	credit  int64 // PPS credit in satoshis (0 under PPLNS)
	block   *chainhash.Hash
}

func (s *shareRec) encode() []byte {
	e := enc{b: make([]byte, 0, 96+len(s.worker)+len(s.payout))}
	e.b = append(e.b, recordVersion)
	e.i(s.time)
	e.by([]byte(s.worker))
	e.by(s.payout)
	e.big(s.work)
	e.big(s.netWork)
	e.i(s.reward)
	e.i(int64(s.height))
	e.i(s.credit)
	e.hash(s.block)
	return e.b
}

func decodeShare(seq uint64, v []byte) (*shareRec, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, poolError(ErrCorrupt, "pool share %d: unknown "+
			"record version", seq)
	}
	d := dec{b: v[1:]}
	s := &shareRec{seq: seq}
	s.time = d.i()
	s.worker = string(d.by())
	s.payout = d.by()
	s.work = d.big()
	s.netWork = d.big()
	s.reward = d.i()
	s.height = int32(d.i())
	s.credit = d.i()
	s.block = d.hash()
	return s, d.done("share")
}

// BlockStatus is where a block the pool found stands.
type BlockStatus int

const (
	// BlockPending is a block in the best chain whose coinbase has not
	// matured yet (or which the chain has not reached yet): its credits
	// are immature.
	BlockPending BlockStatus = iota + 1

	// BlockConfirmed is a block whose coinbase matured in the best chain:
	// its credits are payable. It is final.
	BlockConfirmed

	// BlockOrphaned is a block that is not in the best chain although
	// the chain reached its height: its credits were taken back. It
	// becomes pending again if it returns to the best chain before it
	// would have matured.
	BlockOrphaned
)

// String returns "pending", "confirmed" or "orphaned".
func (s BlockStatus) String() string {
	switch s {
	case BlockPending:
		return "pending"
	case BlockConfirmed:
		return "confirmed"
	case BlockOrphaned:
		return "orphaned"
	}
	return "unknown"
}

// alloc is one account's credit from one block: amount satoshis, of which
// paid have been paid.
type alloc struct {
	payout []byte
	amount int64
	paid   int64
}

// blockRec is a block found by a share, with its split.
type blockRec struct {
	seq    uint64 // the share that found it
	hash   chainhash.Hash
	height int32
	reward int64 // what the coinbase pays the pool
	found  int64 // unix nanoseconds
	worker string
	// netWork is the work of the network target the block was found at.
	netWork *big.Int

	split  bool // the reward has been split (false: not yet, or orphaned)
	status BlockStatus
	scheme Scheme // the scheme of the split
	fee    int64
	allocs []alloc
	confs  int32 // confirmations when last seen in the best chain
	// from is the first share the split read: the oldest share of its
	// PPLNS window, or under PPS the funding cursor the split began at
	// (the block's own share when it funded returned credits only). 0
	// when unknown (no split yet, or a record written before it was
	// kept). An orphaned block keeps the from of its last split.
	from uint64
}

func (b *blockRec) encode() []byte {
	e := enc{b: make([]byte, 0, 96+len(b.allocs)*40)}
	e.b = append(e.b, recordVersion)
	e.b = append(e.b, b.hash[:]...)
	e.i(int64(b.height))
	e.i(b.reward)
	e.i(b.found)
	e.by([]byte(b.worker))
	e.big(b.netWork)
	split := uint64(0)
	if b.split {
		split = 1
	}
	e.u(split)
	e.u(uint64(b.status))
	e.u(uint64(b.scheme))
	e.i(b.fee)
	e.i(int64(b.confs))
	e.u(uint64(len(b.allocs)))
	for _, a := range b.allocs {
		e.by(a.payout)
		e.i(a.amount)
		e.i(a.paid)
	}
	if b.from != 0 {
		// Optional, last: records without it read as 0 (unknown).
		e.u(b.from)
	}
	return e.b
}

func decodeBlock(seq uint64, v []byte) (*blockRec, error) {
	if len(v) < 1+chainhash.HashSize || v[0] != recordVersion {
		return nil, poolError(ErrCorrupt, "pool block of share %d: "+
			"unknown record version", seq)
	}
	b := &blockRec{seq: seq}
	copy(b.hash[:], v[1:])
	d := dec{b: v[1+chainhash.HashSize:]}
	b.height = int32(d.i())
	b.reward = d.i()
	b.found = d.i()
	b.worker = string(d.by())
	b.netWork = d.big()
	b.split = d.u() == 1
	b.status = BlockStatus(d.u())
	b.scheme = Scheme(d.u())
	b.fee = d.i()
	b.confs = int32(d.i())
	n := d.u()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errShort
	}
	if d.err == nil {
		b.allocs = make([]alloc, 0, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			a := alloc{payout: d.by()}
			a.amount = d.i()
			a.paid = d.i()
			b.allocs = append(b.allocs, a)
		}
	}
	if d.err == nil && len(d.b) > 0 {
		b.from = d.u()
	}
	return b, d.done("block")
}

// funding is the PPS funding state: the credits not yet funded by a
// block are the returned queue, then every share from cursor on (less
// used satoshis of the cursor share's credit).
type funding struct {
	cursor   uint64  // first share whose credit is not fully funded
	used     int64   // satoshis of the cursor share's credit funded
	returned []alloc // credits taken back from orphaned blocks, FIFO
}

func (f *funding) encode() []byte {
	e := enc{}
	e.b = append(e.b, recordVersion)
	e.u(f.cursor)
	e.i(f.used)
	e.u(uint64(len(f.returned)))
	for _, a := range f.returned {
		e.by(a.payout)
		e.i(a.amount)
	}
	return e.b
}

func decodeFunding(v []byte) (*funding, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, poolError(ErrCorrupt, "pool funding record: "+
			"unknown record version")
	}
	d := dec{b: v[1:]}
	f := &funding{cursor: d.u(), used: d.i()}
	n := d.u()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errShort
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		a := alloc{payout: d.by()}
		a.amount = d.i()
		f.returned = append(f.returned, a)
	}
	return f, d.done("funding")
}

// payoutState is where a payout stands.
type payoutState int

const (
	// payoutRecorded: the transaction is recorded and the balances
	// debited; it may or may not have been sent.
	payoutRecorded payoutState = 1
	// payoutSent: the Payer took the transaction (or already knew it).
	payoutSent payoutState = 2
)

// payoutRec is a payout: its outputs and its signed transaction.
type payoutRec struct {
	id    uint64
	state payoutState
	time  int64
	outs  []alloc // payout script and amount
	tx    []byte  // the signed transaction, serialized
	txid  chainhash.Hash
}

func (p *payoutRec) encode() []byte {
	e := enc{}
	e.b = append(e.b, recordVersion)
	e.u(uint64(p.state))
	e.i(p.time)
	e.u(uint64(len(p.outs)))
	for _, o := range p.outs {
		e.by(o.payout)
		e.i(o.amount)
	}
	e.by(p.tx)
	e.b = append(e.b, p.txid[:]...)
	return e.b
}

func decodePayout(id uint64, v []byte) (*payoutRec, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, poolError(ErrCorrupt, "pool payout %d: unknown "+
			"record version", id)
	}
	d := dec{b: v[1:]}
	p := &payoutRec{id: id}
	p.state = payoutState(d.u())
	p.time = d.i()
	n := d.u()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errShort
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		o := alloc{payout: d.by()}
		o.amount = d.i()
		p.outs = append(p.outs, o)
	}
	p.tx = d.by()
	if d.err == nil {
		if len(d.b) < chainhash.HashSize {
			d.err = errShort
		} else {
			copy(p.txid[:], d.b)
			d.b = d.b[chainhash.HashSize:]
		}
	}
	return p, d.done("payout")
}

// carryRec is an account's PPS carry: the fraction of a satoshi (in
// units of 2^-32) credited beyond whole satoshis, and the whole satoshis
// credited to it so far.
type carryRec struct {
	carry   uint32
	accrued int64
}

func (c *carryRec) encode() []byte {
	e := enc{}
	e.b = append(e.b, recordVersion)
	e.u(uint64(c.carry))
	e.i(c.accrued)
	return e.b
}

func decodeCarry(v []byte) (*carryRec, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, poolError(ErrCorrupt, "pool carry: unknown record "+
			"version")
	}
	d := dec{b: v[1:]}
	c := &carryRec{carry: uint32(d.u()), accrued: d.i()}
	return c, d.done("carry")
}

// workerRec is a worker's share statistics.
type workerRec struct {
	accepted uint64
	work     *big.Int
	last     int64 // unix nanoseconds of the last share
}

func (w *workerRec) encode() []byte {
	e := enc{}
	e.b = append(e.b, recordVersion)
	e.u(w.accepted)
	e.big(w.work)
	e.i(w.last)
	return e.b
}

func decodeWorker(v []byte) (*workerRec, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, poolError(ErrCorrupt, "pool worker: unknown record "+
			"version")
	}
	d := dec{b: v[1:]}
	w := &workerRec{accepted: d.u(), work: d.big(), last: d.i()}
	return w, d.done("worker")
}
