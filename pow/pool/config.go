package pool

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mainstake/sidenode/sideblock"
)

// Scheme is how the pool shares out what its blocks earn.
type Scheme int

const (
	// SchemePPLNS pays each block's reward, less the fee, over the last
	// N shares before and including the share that found it,
	// proportionally to their work.
	SchemePPLNS Scheme = iota + 1

	// SchemePPS credits every share with its expected value when it is
	// accepted, and funds those credits, oldest first, from what the
	// pool's blocks earn.
	SchemePPS
)

// String returns "pplns" or "pps".
func (s Scheme) String() string {
	switch s {
	case SchemePPLNS:
		return "pplns"
	case SchemePPS:
		return "pps"
	}
	return fmt.Sprintf("Scheme(%d)", int(s))
}

// ParseScheme parses "pplns" or "pps" (any case).
func ParseScheme(s string) (Scheme, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pplns":
		return SchemePPLNS, nil
	case "pps":
		return SchemePPS, nil
	}
	return 0, poolError(ErrConfig, "pool scheme %q: want pplns or pps", s)
}

// Window is the PPLNS window: either a number of shares or a multiple of
// the network difficulty, counted in work. Exactly one field is set.
type Window struct {
	// Shares is the window in shares: the last Shares shares up to and
	// including the block's share.
	Shares uint64

	// NetMilli is the window in thousandths of the block's network work:
	// the most recent shares up to and including the block's share
	// whose work adds up to NetMilli/1000 times the work of the network
	// target the block was found at (the oldest share counted in part).
	NetMilli uint64
}

// String returns the window as ParseWindow reads it.
func (w Window) String() string {
	if w.Shares > 0 {
		return strconv.FormatUint(w.Shares, 10)
	}
	s := strconv.FormatUint(w.NetMilli/1000, 10)
	if f := w.NetMilli % 1000; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%03d", f), "0")
	}
	return s + "x"
}

// maxWindowShares bounds a window in shares, and maxNetMilli one in
// network difficulties (1,000×): a window is read back from the store when a
// block is found.
const (
	maxWindowShares = 100_000_000
	maxNetMilli     = 1000 * 1000
)

// ParseWindow parses a PPLNS window: a share count ("100000") or a
// multiple of the network difficulty with up to three decimals ("2x",
// "0.5x").
func ParseWindow(s string) (Window, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	bad := func(why string) (Window, error) {
		return Window{}, poolError(ErrConfig, "pool PPLNS window %q: %s "+
			"(want a share count like \"100000\", or a multiple of "+
			"the network difficulty like \"2x\" or \"0.5x\")", s, why)
	}
	if mult, ok := strings.CutSuffix(t, "x"); ok {
		whole, frac, _ := strings.Cut(mult, ".")
		if whole == "" || len(frac) > 3 {
			return bad("at most three decimals")
		}
		w, err := strconv.ParseUint(whole, 10, 32)
		if err != nil {
			return bad("not a number")
		}
		var f uint64
		if frac != "" {
			f, err = strconv.ParseUint(frac+strings.Repeat("0",
				3-len(frac)), 10, 32)
			if err != nil {
				return bad("not a number")
			}
		}
		milli := w*1000 + f
		if milli == 0 || milli > maxNetMilli {
			return bad(fmt.Sprintf("the multiple must be above 0 and "+
				"at most %d", maxNetMilli/1000))
		}
		return Window{NetMilli: milli}, nil
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		return bad("not a number")
	}
	if n == 0 || n > maxWindowShares {
		return bad(fmt.Sprintf("the share count must be 1 to %d",
			maxWindowShares))
	}
	return Window{Shares: n}, nil
}

// Defaults of Config's zero fields.
const (
	// DefaultFeeBps is no fee: the operator chooses one.
	DefaultFeeBps = 0

	// DefaultMinPayout is 0.001 coin.
	DefaultMinPayout = 100_000

	// DefaultPayoutInterval is how often MaybePay pays.
	DefaultPayoutInterval = time.Hour

	// DefaultPayoutBatch is how many outputs one payout transaction has
	// at most.
	DefaultPayoutBatch = 500

	// DefaultHashrateWindow is the window of the hashrate estimates.
	DefaultHashrateWindow = 10 * time.Minute

	// DefaultMaxBatch is how many shares one store transaction commits
	// at most.
	DefaultMaxBatch = 4096

	// DefaultPruneInterval is how often TipChanged prunes the shares
	// nothing needs any more.
	DefaultPruneInterval = 10 * time.Minute

	// maxPayout bounds one amount: the coin's supply, in satoshis.
	maxMoney = 21_000_000 * 100_000_000
)

// DefaultWindow is the PPLNS window when Config.Window is zero: twice the
// network difficulty.
var DefaultWindow = Window{NetMilli: 2000}

// Config configures the pool. Zero fields take the defaults above.
type Config struct {
	// Scheme is SchemePPLNS (the default) or SchemePPS.
	Scheme Scheme

	// FeeBps is the pool fee in basis points (1/100 of a percent): under
	// PPLNS the share of each block's reward the pool keeps, under PPS
	// the share of each share's expected value it does not credit. At
	// most 10000 (PPLNS) or 9999 (PPS).
	FeeBps uint32

	// Window is the PPLNS window (DefaultWindow if zero).
	Window Window

	// MinPayout is the smallest mature balance, in satoshis, that a
	// payout pays (DefaultMinPayout if zero).
	MinPayout int64

	// PayoutInterval is the least time between two payouts by MaybePay
	// (DefaultPayoutInterval if zero).
	PayoutInterval time.Duration

	// PayoutBatch is the most outputs of one payout transaction
	// (DefaultPayoutBatch if zero).
	PayoutBatch int

	// Maturity is how many confirmations a block's coinbase needs before
	// the pool counts it confirmed and its credits payable:
	// sideblock.SideCoinbaseMaturity if zero (a coinbase at height h is
	// spendable in a block at h+Maturity, when the tip is at
	// h+Maturity−1, which is Maturity confirmations).
	Maturity int32

	// HashrateWindow is the window of the hashrate estimates
	// (DefaultHashrateWindow if zero).
	HashrateWindow time.Duration

	// MaxBatch is the most shares committed in one store transaction
	// (DefaultMaxBatch if zero).
	MaxBatch int

	// CommitDelay is how long the committer waits for more shares after
	// the first of a batch, if the batch is not full: 0 (the default)
	// commits at once, and batches form from the shares that arrive
	// while the previous commit is writing.
	CommitDelay time.Duration

	// PruneInterval is the least time between two prunes of the shares
	// by TipChanged (see Pool.Prune): DefaultPruneInterval if zero;
	// negative keeps every share.
	PruneInterval time.Duration

	// Now is the clock (time.Now if nil); tests inject one.
	Now func() time.Time
}

// withDefaults checks c and returns it with its zero fields filled in.
func (c Config) withDefaults() (Config, error) {
	if c.Scheme == 0 {
		c.Scheme = SchemePPLNS
	}
	switch c.Scheme {
	case SchemePPLNS:
		if c.FeeBps > 10000 {
			return c, poolError(ErrConfig, "pool fee %d bps is above "+
				"10000 bps (100%%)", c.FeeBps)
		}
	case SchemePPS:
		if c.FeeBps >= 10000 {
			return c, poolError(ErrConfig, "pool fee %d bps: under "+
				"PPS it must be below 10000 bps (100%%)", c.FeeBps)
		}
	default:
		return c, poolError(ErrConfig, "pool scheme %v: want pplns "+
			"or pps", c.Scheme)
	}
	switch {
	case c.Window == Window{}:
		c.Window = DefaultWindow
	case c.Window.Shares > 0 && c.Window.NetMilli > 0:
		return c, poolError(ErrConfig, "pool PPLNS window: give a share "+
			"count or a multiple of the network difficulty, not both")
	case c.Window.Shares > maxWindowShares:
		return c, poolError(ErrConfig, "pool PPLNS window of %d shares "+
			"is above %d shares", c.Window.Shares, maxWindowShares)
	case c.Window.NetMilli > maxNetMilli:
		return c, poolError(ErrConfig, "pool PPLNS window of %v the "+
			"network difficulty is above %dx", c.Window,
			maxNetMilli/1000)
	}
	switch {
	case c.MinPayout == 0:
		c.MinPayout = DefaultMinPayout
	case c.MinPayout < 0 || c.MinPayout > maxMoney:
		return c, poolError(ErrConfig, "pool minimum payout %d "+
			"satoshis: want 1 to %d satoshis", c.MinPayout,
			int64(maxMoney))
	}
	switch {
	case c.PayoutInterval == 0:
		c.PayoutInterval = DefaultPayoutInterval
	case c.PayoutInterval < 0:
		return c, poolError(ErrConfig, "pool payout interval %v is "+
			"negative", c.PayoutInterval)
	}
	switch {
	case c.PayoutBatch == 0:
		c.PayoutBatch = DefaultPayoutBatch
	case c.PayoutBatch < 0 || c.PayoutBatch > 10_000:
		return c, poolError(ErrConfig, "pool payout batch of %d "+
			"outputs: want 1 to 10000 outputs", c.PayoutBatch)
	}
	switch {
	case c.Maturity == 0:
		c.Maturity = sideblock.SideCoinbaseMaturity
	case c.Maturity < 0:
		return c, poolError(ErrConfig, "pool maturity of %d "+
			"confirmations is negative", c.Maturity)
	}
	switch {
	case c.HashrateWindow == 0:
		c.HashrateWindow = DefaultHashrateWindow
	case c.HashrateWindow < time.Second || c.HashrateWindow > 24*time.Hour:
		return c, poolError(ErrConfig, "pool hashrate window %v: want "+
			"1s to 24h", c.HashrateWindow)
	}
	switch {
	case c.MaxBatch == 0:
		c.MaxBatch = DefaultMaxBatch
	case c.MaxBatch < 0 || c.MaxBatch > 50_000:
		return c, poolError(ErrConfig, "pool commit batch of %d shares: "+
			"want 1 to 50000 shares", c.MaxBatch)
	}
	if c.CommitDelay < 0 || c.CommitDelay > time.Second {
		return c, poolError(ErrConfig, "pool commit delay %v: want 0 "+
			"to 1s", c.CommitDelay)
	}
	if c.PruneInterval == 0 {
		c.PruneInterval = DefaultPruneInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
