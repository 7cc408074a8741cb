package pool

import (
	"bytes"
	"math/big"
	"sort"

	"github.com/btcsuite/btcd/blockchain"
)

var (
	bigOne      = big.NewInt(1)
	twoTo256    = new(big.Int).Lsh(bigOne, 256)
	bigBps      = big.NewInt(10000)
	ppsFracBits = uint(32)
)

// WorkForTarget returns the work of a share or block at target: the
// expected number of hashes to find one, 2^256 / (target + 1), as the
// chain counts it. A target that is not positive has no work (nil).
func WorkForTarget(target *big.Int) *big.Int {
	if target == nil || target.Sign() <= 0 {
		return nil
	}
	d := new(big.Int).Add(target, bigOne)
	return d.Div(twoTo256, d)
}

// WorkForBits returns the work of a compact target ("bits"), as
// WorkForTarget.
func WorkForBits(bits uint32) *big.Int {
	return blockchain.CalcWork(bits)
}

// ppsCreditFixed returns a share's PPS value in units of 2^-32 satoshi:
//
//	floor(reward × work × (10000 − feeBps) × 2^32 / (netWork × 10000))
func ppsCreditFixed(reward int64, work, netWork *big.Int, feeBps uint32) *big.Int {
	n := new(big.Int).Mul(big.NewInt(reward), work)
	n.Mul(n, big.NewInt(int64(10000-feeBps)))
	n.Lsh(n, ppsFracBits)
	d := new(big.Int).Mul(netWork, bigBps)
	return n.Quo(n, d)
}

// addCredit adds a share's fixed-point credit to an account's carry and
// returns the whole satoshis the share is credited with and the new carry.
func addCredit(carry uint32, fixed *big.Int) (int64, uint32) {
	t := new(big.Int).Add(fixed, big.NewInt(int64(carry)))
	low := uint32(new(big.Int).And(t, big.NewInt(1<<32-1)).Uint64())
	t.Rsh(t, ppsFracBits)
	return t.Int64(), low
}

// weight is an account's weight in a PPLNS window.
type weight struct {
	payout []byte
	w      *big.Int
}

// splitProportional splits amount over the weights, proportionally, to
// the satoshi: each account gets floor(amount × w / W) (W the sum of the
// weights), and the satoshis left over (fewer than the accounts) go one
// each to the accounts with the largest remainders amount × w mod W,
// equal remainders by payout script, ascending bytes. ws must be sorted
// by payout script with no duplicates and positive weights. The result
// is in the order of ws and sums to amount.
func splitProportional(amount int64, ws []weight) []alloc {
	if len(ws) == 0 {
		return nil
	}
	total := new(big.Int)
	for _, w := range ws {
		total.Add(total, w.w)
	}
	type part struct {
		i   int
		rem *big.Int
	}
	out := make([]alloc, len(ws))
	parts := make([]part, len(ws))
	a := big.NewInt(amount)
	left := amount
	for i, w := range ws {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(a, w.w), total,
			new(big.Int))
		out[i] = alloc{payout: w.payout, amount: q.Int64()}
		left -= out[i].amount
		parts[i] = part{i: i, rem: r}
	}
	sort.SliceStable(parts, func(x, y int) bool {
		if c := parts[x].rem.Cmp(parts[y].rem); c != 0 {
			return c > 0
		}
		return bytes.Compare(ws[parts[x].i].payout,
			ws[parts[y].i].payout) < 0
	})
	for k := 0; left > 0; k++ {
		out[parts[k].i].amount++
		left--
	}
	return out
}

// pplnsFee returns the fee of a PPLNS block: floor(reward × feeBps /
// 10000).
func pplnsFee(reward int64, feeBps uint32) int64 {
	f := new(big.Int).Mul(big.NewInt(reward), big.NewInt(int64(feeBps)))
	return f.Quo(f, bigBps).Int64()
}

// windowWork returns the work of a PPLNS window of netMilli thousandths of
// netWork: floor(netWork × netMilli / 1000), at least 1.
func windowWork(netWork *big.Int, netMilli uint64) *big.Int {
	w := new(big.Int).Mul(netWork, new(big.Int).SetUint64(netMilli))
	w.Quo(w, big.NewInt(1000))
	if w.Sign() == 0 {
		w.SetInt64(1)
	}
	return w
}

// allocAcc sums satoshis by payout script, remembering the order in which
// scripts first appear.
type allocAcc struct {
	idx map[string]int
	out []alloc
}

func (a *allocAcc) add(payout []byte, amount int64) {
	if a.idx == nil {
		a.idx = make(map[string]int)
	}
	i, ok := a.idx[string(payout)]
	if !ok {
		i = len(a.out)
		a.idx[string(payout)] = i
		a.out = append(a.out, alloc{payout: payout})
	}
	a.out[i].amount += amount
}

// weightAcc sums work by payout script.
type weightAcc map[string]*big.Int

func (w weightAcc) add(payout []byte, work *big.Int) {
	if work.Sign() <= 0 {
		return
	}
	if t, ok := w[string(payout)]; ok {
		t.Add(t, work)
		return
	}
	w[string(payout)] = new(big.Int).Set(work)
}

// sorted returns the weights sorted by payout script.
func (w weightAcc) sorted() []weight {
	out := make([]weight, 0, len(w))
	for k, v := range w {
		out = append(out, weight{payout: []byte(k), w: v})
	}
	sort.Slice(out, func(i, j int) bool {
		return bytes.Compare(out[i].payout, out[j].payout) < 0
	})
	return out
}
