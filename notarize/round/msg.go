package round

import (
	"bytes"
	"encoding/binary"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// Version is the round message version this node speaks.
const Version = 1

// Kind is a round message's kind.
type Kind uint8

// The round message kinds.
const (
	// KindAnnounce: the sender offers one of its P2WPKH outputs as its
	// input to the attempt.
	KindAnnounce Kind = 1

	// KindInputSet: the attempt's leader fixes the inputs and the fee
	// rate.
	KindInputSet Kind = 2

	// KindSignature: the sender's signature of its input of the
	// attempt's transaction.
	KindSignature Kind = 3

	// KindAbort: the sender ends the attempt, naming an input that is
	// spent elsewhere.
	KindAbort Kind = 4
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindAnnounce:
		return "announce"
	case KindInputSet:
		return "input set"
	case KindSignature:
		return "signature"
	case KindAbort:
		return "abort"
	}
	return "unknown"
}

// AbortSpent is the only abort reason: an input of the set is spent
// elsewhere, or is not the output the set says.
const AbortSpent uint8 = 1

// Sizes of the encoding.
const (
	headerSize    = 1 + 1 + 2 + 4 + 32 + 4 + 1 // version … sender
	authSize      = schnorr.SignatureSize
	outPointSize  = 32 + 4
	announceSize  = outPointSize + 8
	setInputSize  = 1 + outPointSize + 8
	minTxSigSize  = 9  // the shortest DER signature and a sighash byte
	maxTxSigSize  = 73 // the longest
	abortBodySize = 1 + outPointSize
)

// RoundID names one attempt of one round: the payload the round notarizes
// and the attempt number, which grows by one at each restart.
type RoundID struct {
	Season  uint16
	Height  uint32
	Block   chainhash.Hash
	Attempt uint32
}

// SetInput is one input of an input set.
type SetInput struct {
	Notary   uint8
	OutPoint wire.OutPoint
	Value    int64
}

// Message is a decoded round message. Which fields are set depends on
// Kind.
type Message struct {
	Kind   Kind
	Round  RoundID
	Sender uint8

	// KindAnnounce: the offered output (its script is the sender's
	// P2WPKH script). KindAbort: the spent input.
	OutPoint wire.OutPoint
	Value    int64 // KindAnnounce

	// KindInputSet.
	FeeRate int64 // satoshis per virtual byte
	Inputs  []SetInput

	// KindSignature.
	TxID  chainhash.Hash
	TxSig []byte // DER ‖ SIGHASH_ALL

	// KindAbort.
	Reason uint8

	// Auth is the sender's BIP340 signature of the message (see
	// SigHash).
	Auth [authSize]byte
}

// putOutPoint appends op's txid (internal byte order) and index.
func putOutPoint(b []byte, op wire.OutPoint) []byte {
	b = append(b, op.Hash[:]...)
	return binary.BigEndian.AppendUint32(b, op.Index)
}

// content returns the encoding of m without its Auth.
func (m *Message) content() []byte {
	b := make([]byte, 0, 128)
	b = append(b, Version, byte(m.Kind))
	b = binary.BigEndian.AppendUint16(b, m.Round.Season)
	b = binary.BigEndian.AppendUint32(b, m.Round.Height)
	b = append(b, m.Round.Block[:]...)
	b = binary.BigEndian.AppendUint32(b, m.Round.Attempt)
	b = append(b, m.Sender)
	switch m.Kind {
	case KindAnnounce:
		b = putOutPoint(b, m.OutPoint)
		b = binary.BigEndian.AppendUint64(b, uint64(m.Value))
	case KindInputSet:
		b = binary.BigEndian.AppendUint32(b, uint32(m.FeeRate))
		b = append(b, byte(len(m.Inputs)))
		for _, in := range m.Inputs {
			b = append(b, in.Notary)
			b = putOutPoint(b, in.OutPoint)
			b = binary.BigEndian.AppendUint64(b, uint64(in.Value))
		}
	case KindSignature:
		b = append(b, m.TxID[:]...)
		b = append(b, byte(len(m.TxSig)))
		b = append(b, m.TxSig...)
	case KindAbort:
		b = append(b, m.Reason)
		b = putOutPoint(b, m.OutPoint)
	}
	return b
}

// Encode returns m's bytes: its content and Auth.
func (m *Message) Encode() []byte {
	return append(m.content(), m.Auth[:]...)
}

// sigTag is the BIP340 tag of the hash a round message's Auth signs.
var sigTag = []byte("sidenode/dpow-round")

// SigHash is the hash a message's Auth signs: the BIP340 tagged hash, tag
// "sidenode/dpow-round", of the sidechain id (4 bytes, big-endian) and the
// message's content (its bytes without Auth). The sidechain id keeps a
// message of one sidechain from being played on another with the same
// notaries.
func (m *Message) SigHash(sidechainID uint32) chainhash.Hash {
	var id [4]byte
	binary.BigEndian.PutUint32(id[:], sidechainID)
	return *chainhash.TaggedHash(sigTag, id[:], m.content())
}

// Sign sets m's Auth with priv, the sender's notary key.
func (m *Message) Sign(priv *btcec.PrivateKey, sidechainID uint32) error {
	h := m.SigHash(sidechainID)
	sig, err := schnorr.Sign(priv, h[:])
	if err != nil {
		return err
	}
	copy(m.Auth[:], sig.Serialize())
	return nil
}

// reader reads the fields of a message, remembering the first shortfall.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || len(r.b) < n {
		r.bad = true
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}
func (r *reader) u8() uint8   { return r.take(1)[0] }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.take(2)) }
func (r *reader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
func (r *reader) u64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }
func (r *reader) hash() (h chainhash.Hash) {
	copy(h[:], r.take(32))
	return h
}
func (r *reader) outPoint() wire.OutPoint {
	h := r.hash()
	return wire.OutPoint{Hash: h, Index: r.u32()}
}

// value reads an amount and checks it is in (0, 21 million BTC].
func (r *reader) value() (int64, bool) {
	v := r.u64()
	return int64(v), v > 0 && v <= btcutil.MaxSatoshi
}

// Decode parses b as a round message, strictly: every field in range, the
// exact length of its kind, nothing after Auth. It checks the structure
// only; Verify authenticates it. A message of another version is
// ErrUnknownVersion, anything else that does not parse ErrMalformed.
// Decode(m.Encode()) gives m back for every message m Encode accepts, and
// Decode accepts only such bytes.
func Decode(b []byte) (*Message, error) {
	if len(b) < headerSize+authSize {
		return nil, ruleErrorf(ErrMalformed, "round message of %d bytes, "+
			"the shortest is %d", len(b), headerSize+authSize)
	}
	if b[0] != Version {
		return nil, ruleErrorf(ErrUnknownVersion, "round message version "+
			"%d, this node speaks %d", b[0], Version)
	}
	r := &reader{b: b[1 : len(b)-authSize]}
	m := &Message{Kind: Kind(r.u8())}
	m.Round.Season = r.u16()
	m.Round.Height = r.u32()
	m.Round.Block = r.hash()
	m.Round.Attempt = r.u32()
	m.Sender = r.u8()
	ok := true
	switch m.Kind {
	case KindAnnounce:
		m.OutPoint = r.outPoint()
		m.Value, ok = r.value()
	case KindInputSet:
		m.FeeRate = int64(r.u32())
		n := int(r.u8())
		if n == 0 || len(r.b) != n*setInputSize {
			return nil, ruleErrorf(ErrMalformed, "input set of %d inputs "+
				"in %d bytes", n, len(r.b))
		}
		for i := 0; i < n && ok; i++ {
			in := SetInput{Notary: r.u8(), OutPoint: r.outPoint()}
			in.Value, ok = r.value()
			m.Inputs = append(m.Inputs, in)
		}
	case KindSignature:
		m.TxID = r.hash()
		n := int(r.u8())
		if n < minTxSigSize || n > maxTxSigSize {
			return nil, ruleErrorf(ErrMalformed, "transaction signature "+
				"of %d bytes, not %d to %d", n, minTxSigSize, maxTxSigSize)
		}
		m.TxSig = append([]byte(nil), r.take(n)...)
	case KindAbort:
		m.Reason = r.u8()
		m.OutPoint = r.outPoint()
		ok = m.Reason == AbortSpent
	default:
		return nil, ruleErrorf(ErrMalformed, "unknown round message kind %d",
			uint8(m.Kind))
	}
	switch {
	case r.bad:
		return nil, ruleErrorf(ErrMalformed, "%v message too short", m.Kind)
	case len(r.b) != 0:
		return nil, ruleErrorf(ErrMalformed, "%d bytes after a %v message",
			len(r.b), m.Kind)
	case !ok:
		return nil, ruleErrorf(ErrMalformed, "%v message with a field out "+
			"of range (a value of 0 or above 21 million BTC, an unknown "+
			"abort reason)", m.Kind)
	}
	copy(m.Auth[:], b[len(b)-authSize:])
	return m, nil
}

// Verify authenticates m on the network params: its season is the one in
// force at its height, its sender is a notary of that season, and Auth is
// the sender's valid BIP340 signature of SigHash. Anything else is
// ErrForged. It returns the sender's key.
func (m *Message) Verify(params *chainparams.Params) ([33]byte, error) {
	np := params.Notary
	if np == nil {
		return [33]byte{}, ruleErrorf(ErrForged, "network %s has no notary set",
			params.Name)
	}
	if m.Round.Height > 1<<31-1 {
		return [33]byte{}, ruleErrorf(ErrForged, "height %d is above the "+
			"highest sidechain height", m.Round.Height)
	}
	idx, season, ok := np.SeasonAt(int32(m.Round.Height))
	if !ok || idx != int(m.Round.Season) {
		return [33]byte{}, ruleErrorf(ErrForged, "season %d is not the one in "+
			"force at height %d", m.Round.Season, m.Round.Height)
	}
	if int(m.Sender) >= len(season.Pubkeys) {
		return [33]byte{}, ruleErrorf(ErrForged, "sender %d is no notary of "+
			"season %d (%d notaries)", m.Sender, idx, len(season.Pubkeys))
	}
	pub := season.Pubkeys[m.Sender]
	key, err := btcec.ParsePubKey(pub[:])
	if err != nil {
		return [33]byte{}, wrapErrorf(ErrForged, err, "notary %d's key", m.Sender)
	}
	sig, err := schnorr.ParseSignature(m.Auth[:])
	if err != nil {
		return [33]byte{}, wrapErrorf(ErrForged, err, "%v message of notary %d",
			m.Kind, m.Sender)
	}
	h := m.SigHash(params.SidechainID)
	if !sig.Verify(h[:], key) {
		return [33]byte{}, ruleErrorf(ErrForged, "%v message is not signed by "+
			"notary %d of season %d", m.Kind, m.Sender, idx)
	}
	return pub, nil
}

// sameContent reports whether a and b say the same thing (their Auth
// aside).
func sameContent(a, b *Message) bool {
	return bytes.Equal(a.content(), b.content())
}
