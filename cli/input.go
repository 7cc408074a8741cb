package cli

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/sideblock"
)

// This file parses what the user typed. Every error names the flag or
// argument as the user wrote it, with its unit, and never quotes a Go
// library's message.

// negMark marks a command-line word that looks like a negative number and
// is not the value of an option: go-flags would read "-5" as the short
// options 5, so the word is marked before parsing and unmarked when a
// command reads it. The mark cannot be typed on a command line.
const negMark = "\x00"

// arg is a positional argument. Read it with String, which removes the
// negative-number mark.
type arg string

func (a arg) String() string { return strings.TrimPrefix(string(a), negMark) }

// value is the value of an option that is parsed by the command, a number
// above all: it takes "-5" as a value (so that the command says why -5 is
// wrong instead of go-flags calling it an unknown flag), and knows whether
// it was given.
type value struct {
	raw string
	set bool
}

// UnmarshalFlag stores the value as typed.
func (v *value) UnmarshalFlag(s string) error {
	v.raw, v.set = s, true
	return nil
}

// IsValidValue takes a negative number as a value, and refuses another
// option as the value.
func (v *value) IsValidValue(s string) error {
	if strings.HasPrefix(s, "-") && !looksNegative(s) {
		return fmt.Errorf("needs a value, got the option %s", s)
	}
	return nil
}

// looksNegative reports whether s is written as a negative number.
func looksNegative(s string) bool {
	return len(s) > 1 && s[0] == '-' && (s[1] >= '0' && s[1] <= '9' || s[1] == '.')
}

// maxSat is 21 million BTC in satoshis: no amount can be larger.
const maxSat = 21_000_000 * btcutil.SatoshiPerBitcoin

// parseInt parses a whole number written by the user for name (a flag such
// as "--amount" or an argument such as "<height>"), between lo and hi, in
// unit. The message says what was wrong in the user's terms.
func parseInt(name, s string, lo, hi int64, unit string) (int64, error) {
	s = strings.TrimPrefix(s, negMark)
	what := name + " " + quoteIfOdd(s)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		switch {
		case s == "":
			return 0, usagef("%s is empty: give a whole number of %s", name, unit)
		case isDecimal(s):
			return 0, usagef("%s: want a whole number of %s, without "+
				"a decimal point", what, unit)
		case isDigits(strings.TrimPrefix(s, "-")):
			// Too many digits for 64 bits.
			if strings.HasPrefix(s, "-") {
				return 0, usagef("%s is below the minimum, %d %s", what, lo, unit)
			}
			return 0, usagef("%s is above the maximum, %d %s", what, hi, unit)
		}
		return 0, usagef("%s is not a number: want a whole number of %s", what, unit)
	}
	switch {
	case n < lo && lo == 1:
		return 0, usagef("%s: want a positive number of %s", what, unit)
	case n < lo && lo == 0:
		return 0, usagef("%s is negative: want 0 or more %s", what, unit)
	case n < lo:
		return 0, usagef("%s is below the minimum, %d %s", what, lo, unit)
	case n > hi:
		return 0, usagef("%s is above the maximum, %d %s", what, hi, unit)
	}
	return n, nil
}

// quoteIfOdd quotes s when it holds spaces or is empty, so that the
// message shows where it ends.
func quoteIfOdd(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"'") {
		return strconv.Quote(s)
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isDecimal(s string) bool {
	whole, frac, ok := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	return ok && (whole == "" || isDigits(whole)) && isDigits(frac)
}

// amount parses an amount in satoshis: 1 sat to 21 million BTC.
func amount(name string, v value) (int64, error) {
	n, err := parseInt(name, v.raw, 1, maxSat, "sat")
	if err != nil && isDecimal(strings.TrimPrefix(v.raw, negMark)) {
		return 0, usagef("%s %s: amounts are whole satoshis (1 BTC = "+
			"100000000 sat)", name, v.raw)
	}
	return n, err
}

// optional parses an optional number: 0 when the option was not given.
func optional(name string, v value, lo, hi int64, unit string) (int64, error) {
	if !v.set {
		return 0, nil
	}
	return parseInt(name, v.raw, lo, hi, unit)
}

// The fee rate bounds, in sat/vB on both chains. The sidechain counts
// witnesses in full, so a sidechain vB is a byte: 1 sat/vB = 1,000 sat/kB,
// the unit of its mempool.
const (
	maxMainFeeRate = 10_000 // sat/vB
	maxSideFeeRate = 10_000 // sat/vB
)

// mainFeeRate parses a mainchain --feerate in sat/vB; 0 (or none) means
// the node's default.
func mainFeeRate(v value) (int64, error) {
	return optional("--feerate", v, 0, maxMainFeeRate, "sat/vB")
}

// sideFeeRate parses a sidechain --feerate in sat/vB; 0 (or none) means
// the node's estimate.
func sideFeeRate(v value) (int64, error) {
	return optional("--feerate", v, 0, maxSideFeeRate, "sat/vB")
}

// mainHeight parses a mainchain block height.
func mainHeight(name, s string) (int32, error) {
	n, err := parseInt(name, s, 0, math.MaxInt32, "blocks (a mainchain height)")
	return int32(n), err
}

// sideHeight parses a sidechain block height.
func sideHeight(name, s string) (uint64, error) {
	n, err := parseInt(name, s, 0, math.MaxInt64, "blocks (a sidechain height)")
	return uint64(n), err
}

// duration parses a duration such as 30s or 2m.
func duration(name string, v value, def time.Duration) (time.Duration, error) {
	if !v.set {
		return def, nil
	}
	s := strings.TrimPrefix(v.raw, negMark)
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, usagef("%s %s is not a duration: write it as 30s, 2m or 1h", name, quoteIfOdd(s))
	case d <= 0:
		return 0, usagef("%s %s: want a positive duration, such as 30s", name, s)
	}
	return d, nil
}

// txid checks a transaction id or block hash: 64 hex digits. what says
// which chain's it is ("sidechain transaction id").
func txid(name, what, s string) (string, error) {
	s = strings.TrimPrefix(s, negMark)
	if len(s) != 64 {
		return "", usagef("%s %s is not a %s: want 64 hex digits, got %d "+
			"characters", name, quoteIfOdd(s), what, len(s))
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", usagef("%s %s is not a %s: it is not hex (0-9, a-f)", name, s, what)
	}
	return s, nil
}

// outpoint checks an outpoint txid:vout.
func outpoint(name, what, s string) (string, error) {
	s = strings.TrimPrefix(s, negMark)
	id, vout, ok := strings.Cut(s, ":")
	if !ok {
		return "", usagef("%s %s: want txid:vout", name, quoteIfOdd(s))
	}
	if _, err := txid(name, what+" id", id); err != nil {
		return "", err
	}
	if _, err := strconv.ParseUint(vout, 10, 32); err != nil {
		return "", usagef("%s %s: the output index %s is not a number "+
			"from 0 to %d", name, s, quoteIfOdd(vout), uint32(math.MaxUint32))
	}
	return s, nil
}

// rawTx checks a transaction in wire encoding, hex.
func rawTx(name, s string) (string, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, negMark))
	if s == "" {
		return "", usagef("%s is empty: give the signed transaction, hex", name)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", usagef("%s is not hex: give the signed transaction "+
			"in wire encoding, as hex digits (0-9, a-f), an even number of them", name)
	}
	tx := &wire.MsgTx{}
	r := bytes.NewReader(b)
	if err := tx.Deserialize(r); err != nil || r.Len() != 0 {
		return "", usagef("%s is not a transaction: %d bytes that do not "+
			"decode as one transaction in wire encoding", name, len(b))
	}
	return s, nil
}

// Which chain an address is for.
const (
	mainchain = "mainchain"
	sidechain = "sidechain"
)

// address checks that s is an address of chain (mainchain or sidechain)
// on the network, and says which chain and network it belongs to when it
// is not.
func address(name, chain, s string, params *chainparams.Params) (string, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, negMark))
	if s == "" {
		return "", usagef("%s is empty: give a %s address", name, chain)
	}
	want := params.Main
	if chain == sidechain {
		want = params.Side
	}
	if isFor(s, want) {
		return s, nil
	}
	other, otherParams := sidechain, params.Side
	if chain == sidechain {
		other, otherParams = mainchain, params.Main
	}
	if isFor(s, otherParams) {
		hint := ""
		switch chain {
		case sidechain:
			hint = ": sidecli sideaddress shows the node's sidechain address"
		case mainchain:
			hint = ": sidecli newaddress gives one of the node's wallet"
		}
		return "", usagef("%s %s: a %s address was given where a %s "+
			"address is expected%s", name, s, other, chain, hint)
	}
	// Networks may share a prefix (testnet3 and signet, regtest and
	// simnet's sidechains): name every network the address fits.
	for _, c := range []string{chain, other} {
		var nets []string
		for _, p := range allNetworks() {
			cp := p.Main
			if c == sidechain {
				cp = p.Side
			}
			if p.Name != params.Name && isFor(s, cp) {
				nets = append(nets, p.Name)
			}
		}
		if len(nets) > 0 {
			return "", usagef("%s %s is a %s %s address, and this is %s "+
				"(--network): give a %s %s address", name, s,
				strings.Join(nets, " or "), c, params.Name, params.Name, chain)
		}
	}
	return "", usagef("%s %s is not a %s address: it does not decode as "+
		"an address of any network", name, quoteIfOdd(s), chain)
}

// isFor reports whether s decodes as an address of params: a bech32
// address by its prefix, a base58 one by its version byte.
func isFor(s string, params *chaincfg.Params) bool {
	a, err := btcutil.DecodeAddress(s, params)
	return err == nil && a.IsForNet(params)
}

// allNetworks returns every network's parameters.
func allNetworks() []*chainparams.Params {
	return []*chainparams.Params{&chainparams.Mainnet, &chainparams.Testnet3,
		&chainparams.Signet, &chainparams.Regtest, &chainparams.Simnet,
		&chainparams.PowRegtest}
}

// Loading sideblock registers every network's sidechain address prefixes
// with chaincfg, which address decoding needs.
var _ = sideblock.DecodeSideAddress
