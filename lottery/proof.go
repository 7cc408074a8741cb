package lottery

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/mainstake/sidenode/chainparams"
)

// seedTag is the domain separation prefix of the draw seed.
const seedTag = "PMS/lottery"

// drawSeed returns SHA256("PMS/lottery" ‖ blockHash ‖ sidechainID), the hash
// in internal byte order and the id as 4 bytes big-endian.
func drawSeed(blockHash chainhash.Hash, sidechainID uint32) [32]byte {
	var buf [len(seedTag) + chainhash.HashSize + 4]byte
	copy(buf[:], seedTag)
	copy(buf[len(seedTag):], blockHash[:])
	binary.BigEndian.PutUint32(buf[len(seedTag)+chainhash.HashSize:],
		sidechainID)
	return sha256.Sum256(buf[:])
}

// DrawProof is a draw with the numbers that let a third party check it.
// The winner's range [Start, End) is the interval of running weight sums
// that it covers; the draw is correct when R = seed mod TotalWeight and
// Start ≤ R < End, with Start the sum of the weights of the tickets before
// the winner and End − Start the winner's weight.
type DrawProof struct {
	// Height and BlockHash name the mainchain block after which the
	// draw was made; weights are those at Height.
	Height    int32
	BlockHash chainhash.Hash

	// SidechainID is the network's sidechain id that enters the seed.
	SidechainID uint32

	// TotalWeight is W, the sum of all weights at Height; it is never 0.
	TotalWeight Uint128

	// R is the seed SHA256("PMS/lottery" ‖ BlockHash ‖ SidechainID),
	// as a big-endian integer, mod TotalWeight.
	R Uint128

	// Winner is the ticket drawn, and [Start, End) its range.
	Winner TicketID
	Start  Uint128
	End    Uint128
}

// Verify checks the proof against the tickets, in chain order, and the
// ended publisher chains (ticket id → end height) by recomputing the draw
// with NaiveDraw. Tickets confirmed after Height do not change the draw, so
// a longer list may be given. A mismatch is an ErrProofMismatch RuleError.
func (dp *DrawProof) Verify(p *chainparams.Params, tickets []Ticket,
	ends map[TicketID]int32) error {

	want, ok := NaiveDraw(p, tickets, ends, dp.Height, dp.BlockHash)
	if !ok {
		return ruleError(ErrProofMismatch, fmt.Sprintf(
			"no ticket has weight at height %d, so there is no "+
				"winner", dp.Height))
	}
	if want == *dp {
		return nil
	}

	field, got, exp := "", "", ""
	switch {
	case want.SidechainID != dp.SidechainID:
		field, got, exp = "sidechain id", fmt.Sprint(dp.SidechainID),
			fmt.Sprint(want.SidechainID)
	case want.TotalWeight != dp.TotalWeight:
		field, got, exp = "total weight", dp.TotalWeight.String(),
			want.TotalWeight.String()
	case want.R != dp.R:
		field, got, exp = "r", dp.R.String(), want.R.String()
	case want.Winner != dp.Winner:
		field, got, exp = "winner", fmt.Sprint(dp.Winner),
			fmt.Sprint(want.Winner)
	case want.Start != dp.Start:
		field, got, exp = "range start", dp.Start.String(),
			want.Start.String()
	default:
		field, got, exp = "range end", dp.End.String(),
			want.End.String()
	}
	return ruleError(ErrProofMismatch, fmt.Sprintf(
		"draw at height %d: proof has %s %s, want %s", dp.Height, field,
		got, exp))
}

// NaiveDraw is the reference draw in O(n): it computes every ticket's
// weight at height from its definition, sums them, reduces the seed mod the
// sum, and scans for the first ticket whose running sum exceeds it. tickets
// must be in chain order (TicketID i is tickets[i]) and valid as Add
// requires; ends maps a ticket to the height its publisher chain ended.
// It returns false when the total weight is 0.
func NaiveDraw(p *chainparams.Params, tickets []Ticket,
	ends map[TicketID]int32, height int32,
	blockHash chainhash.Hash) (DrawProof, bool) {

	weight := func(i int) Uint128 {
		t := &tickets[i]
		m := int64(t.ConfHeight) + int64(p.StakeMaturity) - 1
		if int64(height) < m || height >= t.Lock {
			return Uint128{}
		}
		if e, ok := ends[TicketID(i)]; ok && height >= e {
			return Uint128{}
		}
		return mul64(uint64(t.Value), uint64(int64(t.Lock)-int64(height)))
	}

	var total Uint128
	for i := range tickets {
		total = total.add(weight(i))
	}
	if total.IsZero() {
		return DrawProof{}, false
	}

	seed := drawSeed(blockHash, p.SidechainID)
	r := mod256(&seed, total)
	var sum Uint128
	for i := range tickets {
		next := sum.add(weight(i))
		if r.less(next) {
			return DrawProof{
				Height:      height,
				BlockHash:   blockHash,
				SidechainID: p.SidechainID,
				TotalWeight: total,
				R:           r,
				Winner:      TicketID(i),
				Start:       sum,
				End:         next,
			}, true
		}
		sum = next
	}
	panic("lottery: r is not below the total weight")
}
