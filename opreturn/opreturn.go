package opreturn

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Version is the protocol version this package encodes and accepts.
const Version byte = 0x01

// Lengths of payloads and their parts, in bytes.
const (
	// PrefixLen is the length of the prefix every payload starts with:
	// magic (3), version (1), kind (1), sidechain id (4).
	PrefixLen = 9

	// MaxPayloadLen is the largest payload: the most that default relay
	// policy lets an OP_RETURN push (txscript.MaxDataCarrierSize).
	MaxPayloadLen = txscript.MaxDataCarrierSize

	// StakeLen, HeaderLen, PayoutLen, RotationLen and NotarizationLen are
	// the exact payload lengths of their kinds; ColdStakeLen is that of a
	// stake registration of the cold-owner form (Stake.Cold), which adds
	// a 20-byte owner key hash.
	StakeLen        = PrefixLen + 4 + 1 + 1 + 33
	ColdStakeLen    = StakeLen + 20
	HeaderLen       = PrefixLen + 32 + 32
	PayoutLen       = PrefixLen + 32
	RotationLen     = PrefixLen + 4
	NotarizationLen = PrefixLen + 32 + 4 + 2

	// MaxSideScriptLen is the longest sidechain scriptPubKey a deposit
	// can name; it is at least one byte long.
	MaxSideScriptLen = MaxPayloadLen - PrefixLen - 1

	// MinDepositLen and MaxDepositLen bound the length of a deposit
	// payload.
	MinDepositLen = PrefixLen + 1 + 1
	MaxDepositLen = PrefixLen + 1 + MaxSideScriptLen
)

// Magic opens every payload: 0x50 0x4d 0x53.
const Magic = "PMS"

// Kind is the ASCII letter that says what a payload is.
type Kind byte

// The payload kinds of design reference §2.
const (
	KindStake        Kind = 'S' // stake registration, *Stake
	KindHeader       Kind = 'H' // sidechain header, *Header
	KindDeposit      Kind = 'D' // deposit (peg-in), *Deposit
	KindPayout       Kind = 'W' // withdrawal payout (peg-out), *Payout
	KindRotation     Kind = 'R' // pegbox rotation, *Rotation
	KindNotarization Kind = 'N' // notarization (dPoW), *Notarization
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindStake:
		return "stake"
	case KindHeader:
		return "header"
	case KindDeposit:
		return "deposit"
	case KindPayout:
		return "payout"
	case KindRotation:
		return "rotation"
	case KindNotarization:
		return "notarization"
	}
	return fmt.Sprintf("Kind(%#02x)", byte(k))
}

// Payload is the body of a tagged OP_RETURN. Its concrete type is one of
// *Stake, *Header, *Deposit, *Payout, *Rotation and *Notarization; the
// interface is sealed, so a type switch over those six is exhaustive.
type Payload interface {
	// Kind returns the payload's kind letter.
	Kind() Kind

	// appendBody appends the encoded body to b, or fails if the payload
	// breaks a rule of its kind.
	appendBody(b []byte) ([]byte, error)

	// parseBody decodes a body whose length is already checked.
	parseBody(body []byte) error
}

// Stake is the body of an 'S' payload: a stake registration (design
// reference §3).
type Stake struct {
	// LockHeight is the CLTV lock height of the stake output.
	LockHeight uint32

	// StakeVout and PublisherVout are the indexes of the stake output
	// and of the first publisher output in the registration transaction.
	StakeVout     uint8
	PublisherVout uint8

	// PubKey is a compressed secp256k1 public key. In the plain form it
	// is the owner's key: it locks the stake and the publisher outputs.
	// In the cold form it is the publisher (hot) key only.
	PubKey [33]byte

	// Cold marks the cold-owner form (ColdStakeLen bytes): the stake
	// output is locked to the key whose HASH160 is OwnerKeyHash, which
	// the payload names by hash because a second 33-byte key would not
	// fit in 80 bytes. OwnerKeyHash is zero and ignored when Cold is
	// false.
	Cold         bool
	OwnerKeyHash [20]byte
}

// NewStake returns the stake payload for the given fields, with pubKey in
// compressed form. A nil pubKey leaves PubKey zero, which Encode refuses.
func NewStake(lockHeight uint32, stakeVout, publisherVout uint8,
	pubKey *btcec.PublicKey) *Stake {

	s := &Stake{
		LockHeight:    lockHeight,
		StakeVout:     stakeVout,
		PublisherVout: publisherVout,
	}
	if pubKey != nil {
		copy(s.PubKey[:], pubKey.SerializeCompressed())
	}
	return s
}

// NewColdStake returns the payload of the cold-owner form: publisher
// outputs pay pubKey (the hot key), the stake output is locked to the key
// whose HASH160 is ownerKeyHash.
func NewColdStake(lockHeight uint32, stakeVout, publisherVout uint8,
	pubKey *btcec.PublicKey, ownerKeyHash [20]byte) *Stake {

	s := NewStake(lockHeight, stakeVout, publisherVout, pubKey)
	s.Cold, s.OwnerKeyHash = true, ownerKeyHash
	return s
}

// Kind returns KindStake.
func (*Stake) Kind() Kind { return KindStake }

// PublicKey parses PubKey. It fails only for a Stake that neither Parse nor
// NewStake made.
func (s *Stake) PublicKey() (*btcec.PublicKey, error) {
	return parseCompressedPubKey(s.PubKey[:])
}

func (s *Stake) appendBody(b []byte) ([]byte, error) {
	if _, err := s.PublicKey(); err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint32(b, s.LockHeight)
	b = append(b, s.StakeVout, s.PublisherVout)
	b = append(b, s.PubKey[:]...)
	if s.Cold {
		b = append(b, s.OwnerKeyHash[:]...)
	}
	return b, nil
}

func (s *Stake) parseBody(body []byte) error {
	s.LockHeight = binary.BigEndian.Uint32(body[0:4])
	s.StakeVout = body[4]
	s.PublisherVout = body[5]
	copy(s.PubKey[:], body[6:39])
	if len(body) == ColdStakeLen-PrefixLen {
		s.Cold = true
		copy(s.OwnerKeyHash[:], body[39:59])
	}
	_, err := s.PublicKey()
	return err
}

// parseCompressedPubKey accepts exactly a 33-byte compressed key on the
// curve.
func parseCompressedPubKey(b []byte) (*btcec.PublicKey, error) {
	if len(b) != btcec.PubKeyBytesLenCompressed ||
		(b[0] != 0x02 && b[0] != 0x03) {

		return nil, ruleErrorf(ErrBadPubKey,
			"stake pubkey %x is not in compressed form", b)
	}
	pub, err := btcec.ParsePubKey(b)
	if err != nil {
		return nil, ruleErrorf(ErrBadPubKey,
			"stake pubkey %x: %v", b, err)
	}
	return pub, nil
}

// Header is the body of an 'H' payload: a sidechain block header (design
// reference §5, §6).
type Header struct {
	PrevBlock  chainhash.Hash
	MerkleRoot chainhash.Hash
}

// Kind returns KindHeader.
func (*Header) Kind() Kind { return KindHeader }

func (h *Header) appendBody(b []byte) ([]byte, error) {
	b = append(b, h.PrevBlock[:]...)
	return append(b, h.MerkleRoot[:]...), nil
}

func (h *Header) parseBody(body []byte) error {
	copy(h.PrevBlock[:], body[0:32])
	copy(h.MerkleRoot[:], body[32:64])
	return nil
}

// Deposit is the body of a 'D' payload: a peg-in (design reference §7).
type Deposit struct {
	// Vout is the index of the output that pays the pegbox.
	Vout uint8

	// SideScript is the sidechain scriptPubKey that receives the
	// deposit, 1 to MaxSideScriptLen bytes. This package does not
	// interpret it.
	SideScript []byte
}

// Kind returns KindDeposit.
func (*Deposit) Kind() Kind { return KindDeposit }

func (d *Deposit) appendBody(b []byte) ([]byte, error) {
	if n := len(d.SideScript); n < 1 || n > MaxSideScriptLen {
		return nil, ruleErrorf(ErrBadLength, "deposit sidechain "+
			"script is %d bytes, want 1 to %d", n, MaxSideScriptLen)
	}
	b = append(b, d.Vout)
	return append(b, d.SideScript...), nil
}

func (d *Deposit) parseBody(body []byte) error {
	d.Vout = body[0]
	d.SideScript = bytes.Clone(body[1:])
	return nil
}

// Payout is the body of a 'W' payload: the payout of a sideblock's
// withdrawals (design reference §8).
type Payout struct {
	SideBlock chainhash.Hash
}

// Kind returns KindPayout.
func (*Payout) Kind() Kind { return KindPayout }

func (w *Payout) appendBody(b []byte) ([]byte, error) {
	return append(b, w.SideBlock[:]...), nil
}

func (w *Payout) parseBody(body []byte) error {
	copy(w.SideBlock[:], body)
	return nil
}

// Rotation is the body of an 'R' payload: the move of the pegbox funds to
// a new federation (design reference §8).
type Rotation struct {
	Epoch uint32
}

// Kind returns KindRotation.
func (*Rotation) Kind() Kind { return KindRotation }

func (r *Rotation) appendBody(b []byte) ([]byte, error) {
	return binary.BigEndian.AppendUint32(b, r.Epoch), nil
}

func (r *Rotation) parseBody(body []byte) error {
	r.Epoch = binary.BigEndian.Uint32(body)
	return nil
}

// Notarization is the body of an 'N' payload: a dPoW notarization (design
// reference §9.3). The notarize package gives the fields their meaning and
// checks them.
type Notarization struct {
	// Block is the hash of the notarized sideblock, at Height.
	Block  chainhash.Hash
	Height uint32

	// Season is the number (index in the network's list) of the notary
	// season whose notaries sign the notarization.
	Season uint16
}

// Kind returns KindNotarization.
func (*Notarization) Kind() Kind { return KindNotarization }

func (n *Notarization) appendBody(b []byte) ([]byte, error) {
	b = append(b, n.Block[:]...)
	b = binary.BigEndian.AppendUint32(b, n.Height)
	return binary.BigEndian.AppendUint16(b, n.Season), nil
}

func (n *Notarization) parseBody(body []byte) error {
	copy(n.Block[:], body[0:32])
	n.Height = binary.BigEndian.Uint32(body[32:36])
	n.Season = binary.BigEndian.Uint16(body[36:38])
	return nil
}

// newPayload returns an empty payload of kind k, or nil for an unknown
// kind.
func newPayload(k Kind) Payload {
	switch k {
	case KindStake:
		return new(Stake)
	case KindHeader:
		return new(Header)
	case KindDeposit:
		return new(Deposit)
	case KindPayout:
		return new(Payout)
	case KindRotation:
		return new(Rotation)
	case KindNotarization:
		return new(Notarization)
	}
	return nil
}

// lengthOK reports whether n is a valid total payload length for kind k.
func lengthOK(k Kind, n int) bool {
	switch k {
	case KindStake:
		return n == StakeLen || n == ColdStakeLen
	case KindHeader:
		return n == HeaderLen
	case KindDeposit:
		return n >= MinDepositLen && n <= MaxDepositLen
	case KindPayout:
		return n == PayoutLen
	case KindRotation:
		return n == RotationLen
	case KindNotarization:
		return n == NotarizationLen
	}
	return false
}

// isNil reports whether p is nil or a typed nil pointer of one of the
// payload types.
func isNil(p Payload) bool {
	switch v := p.(type) {
	case nil:
		return true
	case *Stake:
		return v == nil
	case *Header:
		return v == nil
	case *Deposit:
		return v == nil
	case *Payout:
		return v == nil
	case *Rotation:
		return v == nil
	case *Notarization:
		return v == nil
	}
	return false
}

// Encode returns the output script OP_RETURN <payload> that carries p for
// the sidechain sidechainID. It applies the same rules as Parse, so its
// result always parses back to an equal payload.
func Encode(sidechainID uint32, p Payload) ([]byte, error) {
	if isNil(p) {
		return nil, ruleError(ErrUnknownKind, "nil payload")
	}
	if sidechainID == 0 {
		return nil, ruleError(ErrZeroSidechainID, "sidechain id is zero")
	}
	payload := make([]byte, 0, MaxPayloadLen)
	payload = append(payload, Magic...)
	payload = append(payload, Version, byte(p.Kind()))
	payload = binary.BigEndian.AppendUint32(payload, sidechainID)
	payload, err := p.appendBody(payload)
	if err != nil {
		return nil, err
	}
	if !lengthOK(p.Kind(), len(payload)) {
		// Unreachable for the payload types of this package.
		return nil, ruleErrorf(ErrBadLength, "%v payload is %d bytes",
			p.Kind(), len(payload))
	}
	script, err := txscript.NullDataScript(payload)
	if err != nil {
		return nil, ruleErrorf(ErrPayloadTooLong, "%v payload: %v",
			p.Kind(), err)
	}
	return script, nil
}

// Parse parses the output script pkScript as a tagged OP_RETURN of the
// sidechain sidechainID. It returns one of the six payload types, or a
// *RuleError whose code names the first rule the script breaks (see
// ErrorCode for the order).
func Parse(pkScript []byte, sidechainID uint32) (Payload, error) {
	if len(pkScript) == 0 || pkScript[0] != txscript.OP_RETURN {
		return nil, ruleError(ErrNotNullData,
			"script does not begin with OP_RETURN")
	}

	tok := txscript.MakeScriptTokenizer(0, pkScript[1:])
	if !tok.Next() || tok.Opcode() > txscript.OP_PUSHDATA4 || !tok.Done() {
		return nil, ruleError(ErrNotSinglePush,
			"OP_RETURN is not followed by exactly one data push")
	}
	data := tok.Data()
	if len(data) > MaxPayloadLen {
		return nil, ruleErrorf(ErrPayloadTooLong,
			"payload is %d bytes, max %d", len(data), MaxPayloadLen)
	}
	canonical, err := txscript.NullDataScript(data)
	if err != nil || !bytes.Equal(canonical, pkScript) {
		return nil, ruleError(ErrNonCanonicalPush,
			"payload is not pushed with the minimal push opcode")
	}

	if len(data) < PrefixLen {
		return nil, ruleErrorf(ErrShortPayload,
			"payload is %d bytes, shorter than the %d-byte prefix",
			len(data), PrefixLen)
	}
	if string(data[0:3]) != Magic {
		return nil, ruleErrorf(ErrBadMagic, "payload magic is %x",
			data[0:3])
	}
	if data[3] != Version {
		return nil, ruleErrorf(ErrUnknownVersion,
			"payload version is %d, want %d", data[3], Version)
	}
	kind := Kind(data[4])
	p := newPayload(kind)
	if p == nil {
		return nil, ruleErrorf(ErrUnknownKind, "unknown payload kind "+
			"%#02x", data[4])
	}
	id := binary.BigEndian.Uint32(data[5:9])
	if id == 0 {
		return nil, ruleError(ErrZeroSidechainID,
			"payload sidechain id is zero")
	}
	if id != sidechainID {
		return nil, ruleErrorf(ErrWrongSidechain,
			"payload is for sidechain %08x, not %08x", id,
			sidechainID)
	}
	if !lengthOK(kind, len(data)) {
		return nil, ruleErrorf(ErrBadLength, "%v payload is %d bytes",
			kind, len(data))
	}
	if err := p.parseBody(data[PrefixLen:]); err != nil {
		return nil, err
	}
	return p, nil
}

// IsOpReturn reports whether pkScript begins with OP_RETURN, which is what
// FindInTx counts as an OP_RETURN output.
func IsOpReturn(pkScript []byte) bool {
	return len(pkScript) > 0 && pkScript[0] == txscript.OP_RETURN
}

// FindInTx finds the tagged OP_RETURN of tx for the sidechain sidechainID.
// tx must have exactly one output whose script begins with OP_RETURN
// (ErrNoOpReturn, ErrMultipleOpReturn), and that script must parse. vout is
// that output's index whenever there is exactly one, even if it does not
// parse, and -1 otherwise.
func FindInTx(tx *wire.MsgTx, sidechainID uint32) (int, Payload, error) {
	vout := -1
	if tx != nil {
		for i, out := range tx.TxOut {
			if !IsOpReturn(out.PkScript) {
				continue
			}
			if vout >= 0 {
				return -1, nil, ruleErrorf(ErrMultipleOpReturn,
					"outputs %d and %d both begin with "+
						"OP_RETURN", vout, i)
			}
			vout = i
		}
	}
	if vout < 0 {
		return -1, nil, ruleError(ErrNoOpReturn,
			"transaction has no OP_RETURN output")
	}
	p, err := Parse(tx.TxOut[vout].PkScript, sidechainID)
	if err != nil {
		return vout, nil, err
	}
	return vout, p, nil
}
