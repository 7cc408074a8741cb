package producer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/wallet"
)

// FeeRates gives the fee rate a header transaction needs to make the next
// mainchain block; *feeest.Tracker is one.
type FeeRates interface {
	// Rate returns the latest estimate without waiting.
	Rate() feeest.Estimate
	// Refresh asks the estimate's source now.
	Refresh(ctx context.Context) feeest.Estimate
}

// Funds are the wallet's coins as header transactions use them: further
// inputs that pay fees the publisher output cannot and top its value up,
// and the top-ups the operator asked for. *wallet.Wallet is one.
type Funds interface {
	TakeCoins(need, perInput int64) ([]*wallet.Coin, error)
	ReleaseCoins(coins []*wallet.Coin)
	SignCoins(tx *wire.MsgTx, coins []*wallet.Coin, prevs txscript.PrevOutputFetcher) error
	TopUp(ticket uint64) (int64, error)
	ClearTopUp(ticket uint64, amount int64) error
	HeaderChange() ([]byte, error)
}

// ErrFeeCap is the error of a header transaction that the fee caps
// (Env.MaxHeaderFee, Env.MaxDayFee) leave without the fee it needs at the
// least: the relay floor, or a replacement's increment.
var ErrFeeCap = errors.New("fee cap")

// ErrNoFunds is the error of a header transaction that neither the
// publisher output nor the wallet can pay.
var ErrNoFunds = errors.New("no funds")

// DefaultRebidInterval is how often, by default, a producer asks again
// for the fee rate the next block needs while it waits for that block, and
// replaces its header transaction when the rate has risen.
const DefaultRebidInterval = 10 * time.Second

// extraInputVSize bounds the virtual size a further P2WPKH input adds to a
// header transaction (68.25 vB, rounded up).
const extraInputVSize = 69

// maxExtraInputs bounds the wallet coins one header transaction spends.
const maxExtraInputs = 50

// bid is a header transaction this node sent for a draw, and what it
// carries: the replacement (rebid) starts from it.
type bid struct {
	ticket *mainstake.Ticket
	hdr    opreturn.Header
	coins  []*wallet.Coin
	tx     *wire.MsgTx
	fee    int64
	vsize  int64
	topUp  int64 // the operator's top-up it carries
	needed feeest.SatPerKVB

	// change is the wallet's change from the further inputs (output 2),
	// nil when there is none; changeScript is kept for replacements.
	change       *wire.TxOut
	changeScript []byte
}

// rate returns the fee rate the bid pays.
func (b *bid) rate() feeest.SatPerKVB {
	return feeest.SatPerKVB(b.fee * 1000 / b.vsize)
}

// dayFees is what header transactions paid in the last 24 hours, one
// entry per draw (a replacement's fee takes the place of the one it
// replaced), for Env.MaxDayFee. With a file (Env.DayFeesFile) the entries
// are written there at each record and read back at start, so that a
// restart does not start a new day.
type dayFees struct {
	mu      sync.Mutex
	entries []dayFee
	file    string // "" keeps them in memory only
}

type dayFee struct {
	At     time.Time `json:"at"`
	Height int32     `json:"height"`
	Fee    int64     `json:"fee_sat"`
}

// loadDayFees reads the entries of file younger than 24 hours at now. A
// missing file is an empty day; an unreadable one is logged and taken as
// empty, since it only bounds spending.
func loadDayFees(file string, now time.Time) []dayFee {
	if file == "" {
		return nil
	}
	raw, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var entries []dayFee
	if err == nil {
		err = json.Unmarshal(raw, &entries)
	}
	if err != nil {
		log.Warnf("Header fees of the last 24 hours in %s are unreadable (%v): "+
			"--publish.maxdayfee counts from now", file, err)
		return nil
	}
	var out []dayFee
	for _, e := range entries {
		if age := now.Sub(e.At); age >= 0 && age < 24*time.Hour && e.Fee >= 0 {
			out = append(out, e)
		}
	}
	return out
}

// save writes the entries to the file, atomically. Called with mu held.
func (d *dayFees) save() {
	if d.file == "" {
		return
	}
	raw, err := json.Marshal(d.entries)
	if err == nil {
		tmp := d.file + ".tmp"
		if err = os.WriteFile(tmp, raw, 0o600); err == nil {
			err = os.Rename(tmp, d.file)
		}
	}
	if err != nil {
		log.Errorf("Write the header fees of the last 24 hours to %s: %v", d.file, err)
	}
}

// spent returns the fees of the 24 hours before now, leaving out the draw
// after block height (a replacement counts instead of its original).
func (d *dayFees) spent(now time.Time, height int32) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var sum int64
	keep := d.entries[:0]
	for _, e := range d.entries {
		if now.Sub(e.At) >= 24*time.Hour {
			continue
		}
		keep = append(keep, e)
		if e.Height != height {
			sum += e.Fee
		}
	}
	d.entries = keep
	return sum
}

// record notes that the draw after block height now pays fee.
func (d *dayFees) record(now time.Time, height int32, fee int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer d.save()
	for i := range d.entries {
		if d.entries[i].Height == height {
			d.entries[i].Fee, d.entries[i].At = fee, now
			return
		}
	}
	d.entries = append(d.entries, dayFee{At: now, Height: height, Fee: fee})
}

func (p *Producer) now() time.Time {
	if p.env.Now != nil {
		return p.env.Now()
	}
	return time.Now()
}

// feeCap returns the most the header for the draw after block height may
// pay, and the option that sets it (empty: no cap).
func (p *Producer) feeCap(height int32) (int64, string) {
	limit, why := int64(1<<62), ""
	if p.env.MaxHeaderFee > 0 {
		limit, why = p.env.MaxHeaderFee, fmt.Sprintf("--publish.maxheaderfee of %d sat", p.env.MaxHeaderFee)
	}
	if p.env.MaxDayFee > 0 {
		left := max(p.env.MaxDayFee-p.days.spent(p.now(), height), 0)
		if left < limit {
			limit, why = left, fmt.Sprintf("--publish.maxdayfee of %d sat (%d sat left of the last 24 hours)",
				p.env.MaxDayFee, left)
		}
	}
	return limit, why
}

// headerWorth is the fee of one header transaction at the configured rate
// (--publish.feerate): the unit of Env.TopUpHeaders.
func (p *Producer) headerWorth() int64 {
	return feeest.FromSatPerVB(max(p.env.FeeRate, 1)).FeeFor(mainstake.HeaderTxVSize(0))
}

// fundHeader builds and signs the header transaction of ticket tk for the
// draw after block height at the fee rate needed, or, when prev is set, a
// BIP125 replacement of prev: the same publication and inputs, and a fee
// higher by at least the relay increment of its own size. The fee is
// capped (feeCap). It comes from the publisher output; the wallet adds
// further inputs when that cannot pay it and keep output 1 above dust, to
// carry the operator's pending top-up, and to refill a publisher output
// left with fewer than Env.TopUpHeaders headers' worth (to twice that).
//
// fresh says that the header is a new publication (a new draw): it then
// carries the operator's pending top-up too; a rebid carries prev's.
func (p *Producer) fundHeader(height int32, tk *mainstake.Ticket, hdr opreturn.Header,
	prev *bid, needed feeest.SatPerKVB, fresh bool) (*bid, error) {

	funds := p.env.Funds
	b := &bid{ticket: tk, hdr: hdr, needed: needed}
	if prev != nil {
		b.coins = append(b.coins, prev.coins...)
		b.topUp = prev.topUp
		b.changeScript = prev.changeScript
	}
	if fresh && funds != nil {
		topUp, err := funds.TopUp(uint64(tk.ID))
		if err != nil {
			return nil, err
		}
		b.topUp += topUp
	}
	var taken []*wallet.Coin // taken here, released on failure
	release := func() {
		if funds != nil && len(taken) > 0 {
			funds.ReleaseCoins(taken)
		}
	}
	perInput := needed.FeeFor(extraInputVSize) + feeest.RelayFloor.FeeFor(extraInputVSize)
	pubScript, err := mainstake.PublisherScript(tk.PubKey)
	if err != nil {
		return nil, err
	}
	dust := mempool.GetDustThreshold(wire.NewTxOut(0, pubScript))
	noRefill := false
	floorFor := func(vsize int64) int64 {
		floor := feeest.RelayFloor.FeeFor(vsize)
		if prev != nil {
			floor = max(floor, prev.fee+feeest.RelayFloor.FeeFor(vsize))
		}
		return floor
	}
	for {
		vsize := mainstake.HeaderTxVSize(len(b.coins))
		floor := floorFor(vsize)
		fee := max(needed.FeeFor(vsize), floor)
		limit, why := p.feeCap(height)
		if fee > limit {
			if limit < floor {
				release()
				what := "the relay floor of 1 sat/vB"
				if prev != nil {
					what = fmt.Sprintf("a replacement of the %d sat fee paid", prev.fee)
				}
				return nil, fmt.Errorf("%w: the header needs %v (%d sat for %d vB); "+
					"%s leaves %d sat, below the %d sat of %s", ErrFeeCap, needed,
					fee, vsize, why, limit, floor, what)
			}
			log.Warnf("The header for the draw after block %d pays %d sat (%v), "+
				"capped by %s; the next block needs %v (%d sat); it may miss the block",
				height, limit, feeest.SatPerKVB(limit*1000/vsize), why, needed, fee)
			fee = limit
		}
		have := tk.CurrentValue
		for _, c := range b.coins {
			have += c.Value
		}
		base := tk.CurrentValue - fee + b.topUp
		target := base
		if low := p.env.TopUpHeaders * p.headerWorth(); !noRefill && base < low {
			target = 2 * low
		}
		target = max(target, dust+1)
		short := target - (have - fee)
		if short <= 0 {
			b.fee, b.vsize = fee, vsize
			if len(b.coins) > 0 {
				// What the wallet's coins hold beyond the target goes
				// back to the wallet, when it is worth an output.
				cvs := vsize + mainstake.ChangeOutputVSize
				cfee := min(max(needed.FeeFor(cvs), floorFor(cvs)), limit)
				if surplus := have - cfee - target; cfee >= floorFor(cvs) && surplus > 2*dust {
					if b.changeScript == nil {
						script, err := funds.HeaderChange()
						if err != nil {
							release()
							return nil, err
						}
						b.changeScript = script
					}
					b.change = wire.NewTxOut(surplus, b.changeScript)
					b.fee, b.vsize = cfee, cvs
				}
			}
			break
		}
		if funds == nil || len(b.coins) >= maxExtraInputs {
			release()
			return nil, fmt.Errorf("%w: the publisher output of %d sat cannot pay a %d sat "+
				"fee and stay above dust, and the node's wallet cannot add to it",
				ErrNoFunds, tk.CurrentValue, fee)
		}
		more, err := funds.TakeCoins(short, perInput)
		if errors.Is(err, wallet.ErrNoCoins) {
			if have-fee > dust && (b.topUp > 0 || !noRefill) {
				// The wallet cannot refill or top up: publish with
				// what the publisher output has.
				log.Warnf("Ticket %d's publisher output holds %d sat; the wallet cannot "+
					"add the %d sat to top it up (%v); publishing without the top-up",
					tk.ID, tk.CurrentValue, short, err)
				b.topUp, noRefill = 0, true
				continue
			}
			release()
			return nil, fmt.Errorf("%w: the publisher output of %d sat cannot pay a %d sat "+
				"fee and stay above dust: %v", ErrNoFunds, tk.CurrentValue, fee, err)
		}
		if err != nil {
			release()
			return nil, err
		}
		taken = append(taken, more...)
		b.coins = append(b.coins, more...)
	}
	extra := make([]mainstake.HeaderInput, len(b.coins))
	for i, c := range b.coins {
		extra[i] = mainstake.HeaderInput{OutPoint: c.OutPoint, Prev: wire.NewTxOut(c.Value, c.PkScript)}
	}
	tx, err := p.signHeader(tk, &b.hdr, extra, b.coins, b.fee, b.change)
	if err != nil {
		release()
		return nil, err
	}
	b.tx = tx
	if len(taken) > 0 {
		var added int64
		for _, c := range taken {
			added += c.Value
		}
		var change int64
		if b.change != nil {
			change = b.change.Value
		}
		log.Infof("The header for the draw after block %d spends %d sat of wallet coins "+
			"(%d inputs) with ticket %d's publisher output of %d sat: fee %d sat, top-up "+
			"asked %d sat, change %d sat; the new publisher output holds %d sat", height,
			added, len(taken), tk.ID, tk.CurrentValue, b.fee, b.topUp, change, tx.TxOut[1].Value)
	}
	return b, nil
}

// signHeader builds, signs and checks a header transaction.
func (p *Producer) signHeader(tk *mainstake.Ticket, hdr *opreturn.Header,
	extra []mainstake.HeaderInput, coins []*wallet.Coin, fee int64, change *wire.TxOut) (*wire.MsgTx, error) {

	ref, ok := p.env.Wallet.OwnsStakeKey(tk.PubKey.SerializeCompressed())
	if !ok {
		return nil, fmt.Errorf("ticket %d's key is not this node's", tk.ID)
	}
	priv, err := p.env.Wallet.Keys().PrivKey(ref)
	if err != nil {
		return nil, err
	}
	tx, err := mainstake.NewHeaderTx(tk, hdr, p.env.Params.SidechainID, extra, fee, change)
	if err != nil {
		return nil, err
	}
	prevs, err := mainstake.HeaderPrevOuts(tk, extra)
	if err != nil {
		return nil, err
	}
	if err := mainstake.SignHeaderInput(tx, tk, prevs, priv); err != nil {
		return nil, err
	}
	if len(coins) > 0 {
		if err := p.env.Funds.SignCoins(tx, coins, prevs); err != nil {
			return nil, err
		}
	}
	// Nothing goes to the mainchain that btcd's sanity rules and script
	// engine have not passed, against the outputs it spends.
	if err := wallet.CheckTx(tx, prevs); err != nil {
		return nil, err
	}
	return tx, nil
}

// sent notes that b's transaction was accepted by the mainchain node: its
// fee counts against the day's cap, and the top-up it carries is done.
func (p *Producer) sent(height int32, b *bid) {
	if b == nil {
		return
	}
	p.days.record(p.now(), height, b.fee)
	p.mu.Lock()
	p.lastSent[b.ticket.ID] = b
	p.mu.Unlock()
	if b.topUp > 0 {
		if funds := p.env.Funds; funds != nil {
			go func(ticket lottery.TicketID, amount int64) {
				if err := funds.ClearTopUp(uint64(ticket), amount); err != nil {
					log.Errorf("Could not clear the top-up of ticket %d: %v", ticket, err)
				}
			}(b.ticket.ID, b.topUp)
		}
	}
}

// pendingBid returns the header transaction last sent for ticket tk if it
// still spends tk's current publisher outpoint: its replacement must
// outbid it.
func (p *Producer) pendingBid(tk *mainstake.Ticket) *bid {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.lastSent[tk.ID]
	if b == nil || b.tx.TxIn[0].PreviousOutPoint != tk.Current {
		return nil
	}
	return b
}
