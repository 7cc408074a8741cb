package mainstake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/store"
)

// Store keys of the ticket index. All of it is mainchain-derived state,
// written in the block batches of the store.
var (
	keyTicketPrefix      = []byte{0x30, 't'} // + id (8) → ticket record
	keyPublisherPrefix   = []byte{0x30, 'p'} // + outpoint (36) → id (8), live chains only
	keyNextID            = []byte{0x30, 'n'} // → next ticket id (8)
	keyWinnerPrefix      = []byte{0x30, 'w'} // + height (4) → winner record
	keyPublicationPrefix = []byte{0x30, 'b'} // + height (4) → publication record
)

func heightKey(prefix []byte, h int32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), prefix...), uint32(h))
}

func idKey(id lottery.TicketID) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), keyTicketPrefix...), uint64(id))
}

func outpointKey(op wire.OutPoint) []byte {
	k := append(append([]byte(nil), keyPublisherPrefix...), op.Hash[:]...)
	return binary.BigEndian.AppendUint32(k, op.Index)
}

// Ticket is one registration in the ticket index.
type Ticket struct {
	ID lottery.TicketID
	Registration

	// TxIndex is the registration's position in its block.
	TxIndex uint32

	// Current is the publisher outpoint the next header must spend, and
	// CurrentValue its value, which pays the next header's fee.
	Current      wire.OutPoint
	CurrentValue int64

	// End is the height whose block ended the publisher chain, or -1.
	End int32
}

// Live reports whether the ticket's publisher chain is live.
func (t *Ticket) Live() bool { return t.End < 0 }

// ticketRecordLen is the length of a ticket record of the plain form; a
// record of the cold-owner form appends the 20-byte owner key hash.
const ticketRecordLen = 32 + 36 + 8 + 4 + 33 + 36 + 4 + 4 + 36 + 8 + 4

func putOutPoint(b []byte, op wire.OutPoint) []byte {
	b = append(b, op.Hash[:]...)
	return binary.BigEndian.AppendUint32(b, op.Index)
}

func readOutPoint(b []byte) wire.OutPoint {
	var op wire.OutPoint
	copy(op.Hash[:], b[:32])
	op.Index = binary.BigEndian.Uint32(b[32:36])
	return op
}

func (t *Ticket) encode() []byte {
	b := make([]byte, 0, ticketRecordLen+20)
	b = append(b, t.TxHash[:]...)
	b = putOutPoint(b, t.Stake)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Value))
	b = binary.BigEndian.AppendUint32(b, t.LockHeight)
	b = append(b, t.PubKey.SerializeCompressed()...)
	b = putOutPoint(b, t.Publisher)
	b = binary.BigEndian.AppendUint32(b, uint32(t.ConfHeight))
	b = binary.BigEndian.AppendUint32(b, t.TxIndex)
	b = putOutPoint(b, t.Current)
	b = binary.BigEndian.AppendUint64(b, uint64(t.CurrentValue))
	b = binary.BigEndian.AppendUint32(b, uint32(t.End))
	if t.Cold {
		b = append(b, t.OwnerKeyHash[:]...)
	}
	return b
}

func decodeTicket(id lottery.TicketID, b []byte) (*Ticket, error) {
	if len(b) != ticketRecordLen && len(b) != ticketRecordLen+20 {
		return nil, fmt.Errorf("mainstake: ticket %d record of %d bytes", id, len(b))
	}
	t := &Ticket{ID: id}
	copy(t.TxHash[:], b[:32])
	t.Stake = readOutPoint(b[32:])
	t.Value = int64(binary.BigEndian.Uint64(b[68:]))
	t.LockHeight = binary.BigEndian.Uint32(b[76:])
	pub, err := ticketKeys.parse(b[80:113])
	if err != nil {
		return nil, fmt.Errorf("mainstake: ticket %d: %w", id, err)
	}
	t.PubKey = pub
	t.Publisher = readOutPoint(b[113:])
	t.ConfHeight = int32(binary.BigEndian.Uint32(b[149:]))
	t.TxIndex = binary.BigEndian.Uint32(b[153:])
	t.Current = readOutPoint(b[157:])
	t.CurrentValue = int64(binary.BigEndian.Uint64(b[193:]))
	t.End = int32(binary.BigEndian.Uint32(b[201:]))
	if len(b) == ticketRecordLen+20 {
		t.Cold = true
		copy(t.OwnerKeyHash[:], b[ticketRecordLen:])
	}
	return t, nil
}

// Winner is the ticket drawn after a mainchain block: the only one whose
// header counts in the next block.
type Winner struct {
	Height      int32 // the block whose hash seeded the draw
	BlockHash   chainhash.Hash
	Ticket      lottery.TicketID
	TotalWeight lottery.Uint128

	// R, Start and End complete the draw's proof (lottery.DrawProof):
	// the seed mod TotalWeight and the winner's range [Start, End).
	// HasProof is false for a record written before the index kept
	// them; the three are then zero.
	R, Start, End lottery.Uint128
	HasProof      bool
}

// Proof returns the draw's proof for the network's sidechain id, which
// lottery.DrawProof.Verify checks against the tickets; false for a record
// without one (HasProof).
func (wn *Winner) Proof(sidechainID uint32) (lottery.DrawProof, bool) {
	if !wn.HasProof {
		return lottery.DrawProof{}, false
	}
	return lottery.DrawProof{
		Height:      wn.Height,
		BlockHash:   wn.BlockHash,
		SidechainID: sidechainID,
		TotalWeight: wn.TotalWeight,
		R:           wn.R,
		Winner:      wn.Ticket,
		Start:       wn.Start,
		End:         wn.End,
	}, true
}

// Publication is the header transaction that counts in a mainchain block.
type Publication struct {
	Height  int32 // the block that contains it
	Ticket  lottery.TicketID
	TxIndex int
	TxID    chainhash.Hash
	Header  opreturn.Header
}

// IgnoreReason says why a valid header transaction is not the publication.
type IgnoreReason int

const (
	// NotWinner: the ticket was not drawn after the previous block.
	NotWinner IgnoreReason = iota + 1
	// LaterHeader: the winner's publication came earlier in the block.
	LaterHeader
)

func (r IgnoreReason) String() string {
	switch r {
	case NotWinner:
		return "not the winner"
	case LaterHeader:
		return "not the winner's first header in the block"
	}
	return fmt.Sprintf("IgnoreReason(%d)", int(r))
}

// IgnoredHeader is a header transaction that moved its ticket's chain on
// but does not count.
type IgnoredHeader struct {
	Ticket lottery.TicketID
	TxID   chainhash.Hash
	Reason IgnoreReason
}

// Rejected is a transaction with a stake payload that did not register.
type Rejected struct {
	TxID chainhash.Hash
	Err  error
}

// BlockResult is what a connected mainchain block did to the stake.
type BlockResult struct {
	Height      int32
	NewTickets  []lottery.TicketID
	Ended       []lottery.TicketID
	Publication *Publication
	Ignored     []IgnoredHeader
	Rejected    []Rejected
	Winner      *Winner // drawn after this block; nil when no ticket weighs
}

// Index is the ticket index: tickets in chain order with their publisher
// chains, persisted in the store, and the lottery over them in memory.
type Index struct {
	params *chainparams.Params
	watch  *mainwatch.WatchList
	script []byte // the registry script

	mu  sync.Mutex
	lot *lottery.Lottery
}

// NewIndex loads the index from db, rebuilds the lottery, and watches the
// registry script and the live publisher chains.
func NewIndex(db *store.DB, params *chainparams.Params, watch *mainwatch.WatchList) (*Index, error) {
	script, err := RegistryScript(params.SidechainID)
	if err != nil {
		return nil, err
	}
	x := &Index{params: params, watch: watch, script: script}
	watch.AddScript(script)
	if err := x.rebuild(db); err != nil {
		return nil, err
	}
	return x, nil
}

// rebuild builds the lottery from the stored tickets, O(n log n).
func (x *Index) rebuild(db *store.DB) error {
	lot := lottery.New(x.params)
	type end struct {
		id     lottery.TicketID
		height int32
	}
	var ends []end
	tip, err := db.Tip()
	if err != nil {
		return err
	}
	err = db.View(func(r store.Reader) error {
		return r.Iterate(keyTicketPrefix, func(k, v []byte) error {
			if len(k) != len(keyTicketPrefix)+8 {
				return fmt.Errorf("mainstake: bad ticket key %x", k)
			}
			id := lottery.TicketID(binary.BigEndian.Uint64(k[len(keyTicketPrefix):]))
			t, err := decodeTicket(id, v)
			if err != nil {
				return err
			}
			got, err := lot.Add(lotteryTicket(t))
			if err != nil {
				return err
			}
			if got != id {
				return fmt.Errorf("mainstake: ticket %d loaded as %d", id, got)
			}
			if t.Live() {
				x.watchChain(t)
			} else {
				ends = append(ends, end{id, t.End})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	sort.SliceStable(ends, func(i, j int) bool { return ends[i].height < ends[j].height })
	for _, e := range ends {
		if err := lot.End(e.id, e.height); err != nil {
			return err
		}
	}
	if tip.Height >= 0 {
		if err := lot.Advance(tip.Height); err != nil {
			return err
		}
	}
	x.mu.Lock()
	x.lot = lot
	x.mu.Unlock()
	return nil
}

func lotteryTicket(t *Ticket) lottery.Ticket {
	return lottery.Ticket{
		ConfHeight: t.ConfHeight,
		TxIndex:    t.TxIndex,
		Value:      t.Value,
		Lock:       int32(t.LockHeight),
	}
}

// watchChain watches a live ticket's publisher output and script, so that
// both backends deliver its header transactions, in-block chains included.
func (x *Index) watchChain(t *Ticket) {
	script, err := PublisherScript(t.PubKey)
	if err != nil {
		return
	}
	x.watch.AddScript(script)
	x.watch.AddOutPoint(t.Current, script)
}

// ConnectBlock applies a connected mainchain block inside its store batch:
// header transactions of live tickets, new registrations, then the draw
// seeded by the block's hash. If it returns an error, the caller must not
// commit the batch; the lottery is put back as it was.
func (x *Index) ConnectBlock(w *store.Writer, b *mainwatch.Block) (*BlockResult, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	res, err := x.connect(w, b)
	if err != nil {
		// Drop whatever the failed block staged in the lottery.
		if rerr := x.lot.Rewind(b.Height - 1); rerr != nil {
			return nil, fmt.Errorf("%w (and the lottery could not rewind: %v)", err, rerr)
		}
		return nil, err
	}
	return res, nil
}

func (x *Index) connect(w *store.Writer, b *mainwatch.Block) (*BlockResult, error) {
	res := &BlockResult{Height: b.Height}
	prevWinner, hasWinner, err := readWinner(w, b.Height-1)
	if err != nil {
		return nil, err
	}
	next, err := readNextID(w)
	if err != nil {
		return nil, err
	}

	for _, mtx := range b.Txs {
		tx := mtx.MsgTx
		txid := tx.TxHash()

		// Spends of live publisher outpoints.
		for _, in := range tx.TxIn {
			v, err := w.Get(outpointKey(in.PreviousOutPoint))
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			id := lottery.TicketID(binary.BigEndian.Uint64(v))
			t, err := loadTicket(w, id)
			if err != nil {
				return nil, err
			}
			spend, err := ClassifySpend(tx, t.Current, t.PubKey, x.params.SidechainID)
			if err != nil {
				return nil, err
			}
			if err := w.Delete(outpointKey(t.Current)); err != nil {
				return nil, err
			}
			switch spend.Class {
			case ValidHeader:
				t.Current = spend.Next
				t.CurrentValue = tx.TxOut[spend.Next.Index].Value
				if err := w.Set(outpointKey(t.Current), v); err != nil {
					return nil, err
				}
				x.watchChain(t)
				switch {
				case !hasWinner || prevWinner.Ticket != id:
					res.Ignored = append(res.Ignored, IgnoredHeader{id, txid, NotWinner})
				case res.Publication != nil:
					res.Ignored = append(res.Ignored, IgnoredHeader{id, txid, LaterHeader})
				default:
					res.Publication = &Publication{
						Height: b.Height, Ticket: id, TxIndex: mtx.Index,
						TxID: txid, Header: *spend.Header,
					}
					if err := w.Set(heightKey(keyPublicationPrefix, b.Height),
						encodePublication(res.Publication)); err != nil {
						return nil, err
					}
				}
			default:
				t.End = b.Height
				if err := x.lot.End(id, b.Height); err != nil {
					return nil, err
				}
				res.Ended = append(res.Ended, id)
				log.Debugf("Ticket %d: publisher chain ended by %v: %v", id, txid, spend.Reason)
			}
			if err := w.Set(idKey(id), t.encode()); err != nil {
				return nil, err
			}
		}

		// A new registration.
		reg, err := ParseRegistration(tx, b.Height, x.params)
		if err != nil {
			if !IsErrorCode(err, ErrNoPayload) && !IsErrorCode(err, ErrWrongKind) {
				res.Rejected = append(res.Rejected, Rejected{txid, err})
				log.Debugf("Registration %v rejected: %v", txid, err)
			}
			continue
		}
		t := &Ticket{
			ID:           next,
			Registration: *reg,
			TxIndex:      uint32(mtx.Index),
			Current:      reg.Publisher,
			CurrentValue: tx.TxOut[reg.Publisher.Index].Value,
			End:          -1,
		}
		got, err := x.lot.Add(lotteryTicket(t))
		if err != nil {
			return nil, err
		}
		if got != next {
			return nil, fmt.Errorf("mainstake: lottery numbered ticket %d as %d", next, got)
		}
		if err := w.Set(idKey(t.ID), t.encode()); err != nil {
			return nil, err
		}
		if err := w.Set(outpointKey(t.Current), binary.BigEndian.AppendUint64(nil, uint64(t.ID))); err != nil {
			return nil, err
		}
		x.watchChain(t)
		res.NewTickets = append(res.NewTickets, t.ID)
		next++
	}
	if err := w.Set(keyNextID, binary.BigEndian.AppendUint64(nil, uint64(next))); err != nil {
		return nil, err
	}

	if err := x.lot.Advance(b.Height); err != nil {
		return nil, err
	}
	if proof, ok := x.lot.Prove(b.Hash); ok {
		res.Winner = &Winner{Height: b.Height, BlockHash: b.Hash, Ticket: proof.Winner,
			TotalWeight: proof.TotalWeight, R: proof.R, Start: proof.Start,
			End: proof.End, HasProof: true}
		if err := w.Set(heightKey(keyWinnerPrefix, b.Height), encodeWinner(res.Winner)); err != nil {
			return nil, err
		}
	}
	if err := indexSlots(w, b.Height, hasWinner, res.Publication); err != nil {
		return nil, err
	}
	return res, nil
}

// DisconnectBlock rewinds the lottery after the store undid the block at
// height; the store's undo log has already restored the index itself.
func (x *Index) DisconnectBlock(height int32) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lot.Rewind(height - 1)
}

func readNextID(r store.Reader) (lottery.TicketID, error) {
	v, err := r.Get(keyNextID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("mainstake: corrupt ticket counter")
	}
	return lottery.TicketID(binary.BigEndian.Uint64(v)), nil
}

func loadTicket(r store.Reader, id lottery.TicketID) (*Ticket, error) {
	v, err := r.Get(idKey(id))
	if err != nil {
		return nil, fmt.Errorf("mainstake: ticket %d: %w", id, err)
	}
	return decodeTicket(id, v)
}

// The winner record: ticket (8) ‖ block hash (32) ‖ total weight (16),
// then, since the index keeps the draw's proof, r (16) ‖ range start (16)
// ‖ range end (16). Records of the first, shorter form still decode.
const (
	winnerRecordLen      = 8 + 32 + 16
	winnerProofRecordLen = winnerRecordLen + 3*16
)

func appendUint128(b []byte, u lottery.Uint128) []byte {
	b = binary.BigEndian.AppendUint64(b, u.Hi)
	return binary.BigEndian.AppendUint64(b, u.Lo)
}

func readUint128(b []byte) lottery.Uint128 {
	return lottery.Uint128{Hi: binary.BigEndian.Uint64(b), Lo: binary.BigEndian.Uint64(b[8:])}
}

func encodeWinner(wn *Winner) []byte {
	b := make([]byte, 0, winnerProofRecordLen)
	b = binary.BigEndian.AppendUint64(b, uint64(wn.Ticket))
	b = append(b, wn.BlockHash[:]...)
	b = appendUint128(b, wn.TotalWeight)
	if !wn.HasProof {
		return b
	}
	b = appendUint128(b, wn.R)
	b = appendUint128(b, wn.Start)
	return appendUint128(b, wn.End)
}

func readWinner(r store.Reader, height int32) (*Winner, bool, error) {
	if height < 0 {
		return nil, false, nil
	}
	v, err := r.Get(heightKey(keyWinnerPrefix, height))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	wn, err := decodeWinner(height, v)
	return wn, err == nil, err
}

func decodeWinner(height int32, v []byte) (*Winner, error) {
	if len(v) != winnerRecordLen && len(v) != winnerProofRecordLen {
		return nil, fmt.Errorf("mainstake: corrupt winner record at %d", height)
	}
	wn := &Winner{Height: height, Ticket: lottery.TicketID(binary.BigEndian.Uint64(v))}
	copy(wn.BlockHash[:], v[8:40])
	wn.TotalWeight = readUint128(v[40:])
	if len(v) == winnerProofRecordLen {
		wn.R = readUint128(v[56:])
		wn.Start = readUint128(v[72:])
		wn.End = readUint128(v[88:])
		wn.HasProof = true
	}
	return wn, nil
}

func encodePublication(p *Publication) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(p.Ticket))
	b = binary.BigEndian.AppendUint32(b, uint32(p.TxIndex))
	b = append(b, p.TxID[:]...)
	b = append(b, p.Header.PrevBlock[:]...)
	return append(b, p.Header.MerkleRoot[:]...)
}

func decodePublication(height int32, v []byte) (*Publication, error) {
	if len(v) != 8+4+32+64 {
		return nil, fmt.Errorf("mainstake: corrupt publication record at %d", height)
	}
	p := &Publication{Height: height, Ticket: lottery.TicketID(binary.BigEndian.Uint64(v)),
		TxIndex: int(binary.BigEndian.Uint32(v[8:]))}
	copy(p.TxID[:], v[12:44])
	copy(p.Header.PrevBlock[:], v[44:76])
	copy(p.Header.MerkleRoot[:], v[76:108])
	return p, nil
}

// WinnerAt returns the ticket drawn after the block at height.
func WinnerAt(r store.Reader, height int32) (*Winner, bool, error) {
	return readWinner(r, height)
}

// PublicationAt returns the publication in the block at height.
func PublicationAt(r store.Reader, height int32) (*Publication, bool, error) {
	v, err := r.Get(heightKey(keyPublicationPrefix, height))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	p, err := decodePublication(height, v)
	return p, err == nil, err
}

// TicketByID returns a ticket.
func TicketByID(r store.Reader, id lottery.TicketID) (*Ticket, error) {
	return loadTicket(r, id)
}

// Tickets returns every ticket in chain order.
func Tickets(r store.Reader) ([]*Ticket, error) {
	var out []*Ticket
	err := r.Iterate(keyTicketPrefix, func(k, v []byte) error {
		id := lottery.TicketID(binary.BigEndian.Uint64(k[len(keyTicketPrefix):]))
		t, err := decodeTicket(id, v)
		if err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// Weight returns a ticket's weight at the lottery's height.
func (x *Index) Weight(id lottery.TicketID) lottery.Uint128 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lot.Weight(id)
}

// TotalWeight returns the sum of all weights at the lottery's height.
func (x *Index) TotalWeight() lottery.Uint128 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.lot.TotalWeight()
}

// TicketCounts returns the number of tickets and of live ones (whose
// publisher chain has not ended), in O(1).
func (x *Index) TicketCounts() (total, live int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := x.lot.Len()
	return n, n - x.lot.Ended()
}
