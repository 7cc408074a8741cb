package chainparams

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
)

// NotarySeason is one season of the dPoW notary set (design §9.3): from
// StartHeight on, the notarizations of sidechain heights are signed by
// Threshold or more distinct keys of Pubkeys, until the next season's
// StartHeight.
type NotarySeason struct {
	// StartHeight is the first sidechain height the season notarizes.
	StartHeight int32

	// Pubkeys are the notaries' compressed secp256k1 keys. A notary is
	// known by its index in this list.
	Pubkeys [][33]byte

	// Threshold is how many distinct notaries of the season must sign a
	// notarization.
	Threshold int
}

// NotaryParams are the dPoW parameters (design §9.3). A network without
// them (Params.Notary nil) has no notary set.
type NotaryParams struct {
	// Seasons lists the notary seasons by strictly increasing
	// StartHeight.
	Seasons []NotarySeason

	// NotarizationInterval is how many sideblocks lie between two
	// notarized heights: only multiples of it are notarized.
	NotarizationInterval int32

	// NotarizationDepth is how many sideblocks must be built on a block
	// before the notaries notarize it.
	NotarizationDepth int32

	// MainConfirmations is how many mainchain confirmations a
	// notarization transaction needs before it counts (1: in a block).
	MainConfirmations int32

	// IrregularAge and InactiveAge are the ages of the last notarization
	// at which notarization is called irregular and inactive (Komodo:
	// 2.5 hours and 24 hours). They set alarms, not consensus.
	IrregularAge time.Duration
	InactiveAge  time.Duration
}

// SeasonAt returns the season in force at sidechain height: the last one
// whose StartHeight is at most height, and its index (the season number of
// a notarization payload). It returns false below the first season's
// StartHeight.
func (p *NotaryParams) SeasonAt(height int32) (int, *NotarySeason, bool) {
	idx := -1
	for i := range p.Seasons {
		if p.Seasons[i].StartHeight > height {
			break
		}
		idx = i
	}
	if idx < 0 {
		return -1, nil, false
	}
	return idx, &p.Seasons[idx], true
}

// NotaryIndex returns the index of the compressed key pub in the season,
// or -1 if it is not one of its notaries.
func (s *NotarySeason) NotaryIndex(pub []byte) int {
	for i := range s.Pubkeys {
		if bytes.Equal(s.Pubkeys[i][:], pub) {
			return i
		}
	}
	return -1
}

// MaxNotaries is the most notaries a season may have. Every notary of a
// notarization is one input of a mainchain transaction, and a season's
// notaries are numbered with one byte in the round messages to come.
const MaxNotaries = 255

// Check reports notary parameters no chain can follow: no season, seasons
// whose start heights are negative or do not increase, a season without
// keys or with more than MaxNotaries, a key that is not a compressed
// secp256k1 point, a key listed twice in a season, a threshold outside
// [1, number of keys], an interval that is not positive, a negative depth,
// fewer than one mainchain confirmation, or alarm ages that are not
// positive and increasing.
func (p *NotaryParams) Check() error {
	if len(p.Seasons) == 0 {
		return errors.New("notary params have no season")
	}
	for i := range p.Seasons {
		s := &p.Seasons[i]
		switch {
		case s.StartHeight < 0:
			return fmt.Errorf("notary season %d starts at negative "+
				"height %d", i, s.StartHeight)
		case i > 0 && s.StartHeight <= p.Seasons[i-1].StartHeight:
			return fmt.Errorf("notary season %d starts at height %d, "+
				"not after season %d's %d", i, s.StartHeight, i-1,
				p.Seasons[i-1].StartHeight)
		case len(s.Pubkeys) == 0 || len(s.Pubkeys) > MaxNotaries:
			return fmt.Errorf("notary season %d has %d keys, want 1 "+
				"to %d", i, len(s.Pubkeys), MaxNotaries)
		case s.Threshold < 1 || s.Threshold > len(s.Pubkeys):
			return fmt.Errorf("notary season %d: threshold %d is not "+
				"in [1, %d keys]", i, s.Threshold, len(s.Pubkeys))
		}
		seen := make(map[[33]byte]int, len(s.Pubkeys))
		for j, k := range s.Pubkeys {
			if k[0] != 0x02 && k[0] != 0x03 {
				return fmt.Errorf("notary season %d key %d (%x) is "+
					"not compressed", i, j, k)
			}
			if _, err := btcec.ParsePubKey(k[:]); err != nil {
				return fmt.Errorf("notary season %d key %d (%x): %v",
					i, j, k, err)
			}
			if prev, dup := seen[k]; dup {
				return fmt.Errorf("notary season %d lists key %x "+
					"twice (%d and %d)", i, k, prev, j)
			}
			seen[k] = j
		}
	}
	switch {
	case p.NotarizationInterval <= 0:
		return fmt.Errorf("NotarizationInterval %d is not positive",
			p.NotarizationInterval)
	case p.NotarizationDepth < 0:
		return fmt.Errorf("NotarizationDepth %d is negative",
			p.NotarizationDepth)
	case p.MainConfirmations < 1:
		return fmt.Errorf("MainConfirmations %d is less than 1",
			p.MainConfirmations)
	case p.IrregularAge <= 0 || p.InactiveAge <= p.IrregularAge:
		return fmt.Errorf("notarization alarm ages %v (irregular) and "+
			"%v (inactive) must be positive and increasing",
			p.IrregularAge, p.InactiveAge)
	}
	return nil
}

// writeDigest appends the consensus parameters to b in a fixed big-endian
// encoding: a tag, the season count, each season's start height,
// threshold, key count and keys, then the interval, the depth and the
// mainchain confirmations. The alarm ages are not consensus and are left
// out.
func (p *NotaryParams) writeDigest(b *bytes.Buffer) {
	w := func(v any) { _ = binary.Write(b, binary.BigEndian, v) }
	b.WriteString("notary params v1")
	w(uint32(len(p.Seasons)))
	for _, s := range p.Seasons {
		w(s.StartHeight)
		w(uint32(s.Threshold))
		w(uint32(len(s.Pubkeys)))
		for _, k := range s.Pubkeys {
			b.Write(k[:])
		}
	}
	w(p.NotarizationInterval)
	w(p.NotarizationDepth)
	w(p.MainConfirmations)
}

// DevNotaryKey returns the private key of notary i of the test networks'
// notary set (DpowRegtest, PowDpowRegtest): the scalar SHA256("sidenode
// dev notary " ‖ i), i in decimal. These keys are public knowledge, like
// regtest's; no network with value may use them.
func DevNotaryKey(i int) *btcec.PrivateKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("sidenode dev notary %d", i)))
	priv, _ := btcec.PrivKeyFromBytes(seed[:])
	return priv
}

// devNotaryCount and devNotaryThreshold size the test networks' notary
// set: 5 notaries, 3 of which must sign, so that one or two may be
// offline.
const (
	devNotaryCount     = 5
	devNotaryThreshold = 3
)

// devNotaryParams returns the test networks' dPoW parameters: one season
// from height 0 of the DevNotaryKey notaries 0 to 4, threshold 3, a
// notarization every 5 sideblocks at least 2 deep, counted at 2 mainchain
// confirmations, and Komodo's alarm ages scaled by 1/30 (the test networks'
// 2 s blocks over Komodo's 60 s): 5 minutes and 48 minutes.
func devNotaryParams() *NotaryParams {
	keys := make([][33]byte, devNotaryCount)
	for i := range keys {
		copy(keys[i][:], DevNotaryKey(i).PubKey().SerializeCompressed())
	}
	return &NotaryParams{
		Seasons: []NotarySeason{{
			StartHeight: 0,
			Pubkeys:     keys,
			Threshold:   devNotaryThreshold,
		}},
		NotarizationInterval: 5,
		NotarizationDepth:    2,
		MainConfirmations:    2,
		IrregularAge:         5 * time.Minute,
		InactiveAge:          48 * time.Minute,
	}
}
