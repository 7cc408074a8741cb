package pegbox

import (
	"bytes"
	"crypto/sha256"
	"sort"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/sideblock"
)

// MaxFederationSize is the most keys a pegbox holds: OP_CHECKMULTISIG in a
// standard P2WSH witness script takes at most 20.
const MaxFederationSize = 20

// Staker is one ticket's owner key and its lottery weight at an epoch
// boundary: a candidate of the sidechain's engine (sideblock.Engine.
// Candidates). A key that holds several tickets appears once per ticket.
type Staker = sideblock.Candidate

// Federation is the pegbox of one epoch: the keys of its members, sorted as
// BIP67 sorts multisig keys, and the number of signatures a spend needs.
type Federation struct {
	Epoch     uint32
	Keys      []*btcec.PublicKey
	Threshold int
}

// Threshold returns ⌊2n/3⌋+1, the signatures a federation of n members
// needs: more than two thirds of them.
func Threshold(n int) int { return 2*n/3 + 1 }

// Elect returns the federation of epoch: the size distinct keys of greatest
// total weight among stakers, ties broken by the smaller compressed key, so
// that every node elects the same members. Fewer keys than size make a
// smaller federation; no key of non-zero weight is ErrNoStakers.
func Elect(epoch uint32, stakers []Staker, size int) (*Federation, error) {
	if size < 1 || size > MaxFederationSize {
		return nil, ruleErrorf(ErrFederationSize, "federation size %d is "+
			"outside 1 to %d", size, MaxFederationSize)
	}
	type total struct {
		key    *btcec.PublicKey
		ser    []byte
		weight lottery.Uint128
	}
	byKey := make(map[string]*total)
	for _, s := range stakers {
		if s.PubKey == nil || s.Weight.IsZero() {
			continue
		}
		ser := s.PubKey.SerializeCompressed()
		t, ok := byKey[string(ser)]
		if !ok {
			t = &total{key: s.PubKey, ser: ser}
			byKey[string(ser)] = t
		}
		t.weight = t.weight.Add(s.Weight)
	}
	if len(byKey) == 0 {
		return nil, ruleErrorf(ErrNoStakers, "no staker has weight at the "+
			"boundary of pegbox epoch %d", epoch)
	}
	totals := make([]*total, 0, len(byKey))
	for _, t := range byKey {
		totals = append(totals, t)
	}
	sort.Slice(totals, func(i, j int) bool {
		if c := totals[i].weight.Cmp(totals[j].weight); c != 0 {
			return c > 0
		}
		return bytes.Compare(totals[i].ser, totals[j].ser) < 0
	})
	if len(totals) > size {
		totals = totals[:size]
	}
	keys := make([]*btcec.PublicKey, len(totals))
	for i, t := range totals {
		keys[i] = t.key
	}
	return NewFederation(epoch, keys)
}

// NewFederation returns the federation of the given keys, sorted, with
// threshold ⌊2n/3⌋+1.
func NewFederation(epoch uint32, keys []*btcec.PublicKey) (*Federation, error) {
	if len(keys) < 1 || len(keys) > MaxFederationSize {
		return nil, ruleErrorf(ErrFederationSize, "federation of %d keys is "+
			"outside 1 to %d", len(keys), MaxFederationSize)
	}
	sorted := append([]*btcec.PublicKey(nil), keys...)
	sort.Slice(sorted, func(i, j int) bool {
		return bytes.Compare(sorted[i].SerializeCompressed(),
			sorted[j].SerializeCompressed()) < 0
	})
	return &Federation{Epoch: epoch, Keys: sorted, Threshold: Threshold(len(sorted))}, nil
}

// Has reports whether key is one of the federation's.
func (f *Federation) Has(key *btcec.PublicKey) bool {
	for _, k := range f.Keys {
		if k.IsEqual(key) {
			return true
		}
	}
	return false
}

// WitnessScript returns the pegbox's witness script:
// Threshold <keys, sorted> n OP_CHECKMULTISIG.
func (f *Federation) WitnessScript(params *chaincfg.Params) ([]byte, error) {
	addrs := make([]*btcutil.AddressPubKey, len(f.Keys))
	for i, k := range f.Keys {
		a, err := btcutil.NewAddressPubKey(k.SerializeCompressed(), params)
		if err != nil {
			return nil, err
		}
		addrs[i] = a
	}
	return txscript.MultiSigScript(addrs, f.Threshold)
}

// Address returns the pegbox's P2WSH address.
func (f *Federation) Address(params *chaincfg.Params) (*btcutil.AddressWitnessScriptHash, error) {
	ws, err := f.WitnessScript(params)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(ws)
	return btcutil.NewAddressWitnessScriptHash(sum[:], params)
}

// PkScript returns the pegbox's P2WSH scriptPubKey.
func (f *Federation) PkScript(params *chaincfg.Params) ([]byte, error) {
	addr, err := f.Address(params)
	if err != nil {
		return nil, err
	}
	return txscript.PayToAddrScript(addr)
}
