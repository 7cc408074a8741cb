package tracker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/notarize"
)

// KeyByte is the first byte of every store key the tracker writes. The
// keys are local state (see doc.go): the node lists KeyByte among
// store.Options.LocalPrefixes, so that the state hash leaves them out.
const KeyByte byte = 0x61

var (
	// keyLast holds the last notarization that counts (encodeRecord).
	keyLast = []byte{KeyByte, 'l'}

	// keyPendingPrefix + mainchain height (4) + index in the block (4)
	// holds a notarization seen in a mainchain block that does not
	// count yet (encodePending).
	keyPendingPrefix = []byte{KeyByte, 'p'}

	// keyOutputPrefix + outpoint (txid 32, index 4) holds an output to a
	// notary's P2WPKH script seen in a delivered transaction and not yet
	// seen spent: value 8, then the script.
	keyOutputPrefix = []byte{KeyByte, 'o'}
)

func outputKey(op wire.OutPoint) []byte {
	k := append([]byte(nil), keyOutputPrefix...)
	k = append(k, op.Hash[:]...)
	return binary.BigEndian.AppendUint32(k, op.Index)
}

func encodeOutput(o *wire.TxOut) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(o.PkScript)), uint64(o.Value))
	return append(b, o.PkScript...)
}

func decodeOutput(b []byte) (*wire.TxOut, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("%w: notary output of %d bytes", errCorrupt, len(b))
	}
	return wire.NewTxOut(int64(binary.BigEndian.Uint64(b)), append([]byte(nil), b[8:]...)), nil
}

// Record is a notarization that counts, as the tracker keeps it: the
// notarization and the mainchain block height its transaction is in.
type Record struct {
	notarize.Notarization

	// MainHeight is the height of the mainchain block that holds the
	// notarization transaction: its confirmations at mainchain tip T are
	// T − MainHeight + 1.
	MainHeight int32

	// MainTime is that block's header timestamp, in Unix seconds: the
	// notarization's age, which the health figures and alarms read,
	// counts from it.
	MainTime int64
}

// recordFixed is the length of a Record's encoding without its signers.
const recordFixed = 83

// encodeRecord: height 4, block 32, season 2, txid 32, main height 4,
// main time 8, signer count 1, one byte per signer (a season has at most
// 255 notaries), big-endian.
func encodeRecord(r *Record) []byte {
	b := make([]byte, 0, recordFixed+len(r.Signers))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Height))
	b = append(b, r.Block[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(r.Season))
	b = append(b, r.TxID[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(r.MainHeight))
	b = binary.BigEndian.AppendUint64(b, uint64(r.MainTime))
	b = append(b, byte(len(r.Signers)))
	for _, s := range r.Signers {
		b = append(b, byte(s))
	}
	return b
}

var errCorrupt = errors.New("notarization tracker: corrupt record")

func decodeRecord(b []byte) (*Record, error) {
	if len(b) < recordFixed || len(b) != recordFixed+int(b[recordFixed-1]) {
		return nil, fmt.Errorf("%w: %d bytes", errCorrupt, len(b))
	}
	r := &Record{}
	r.Height = int32(binary.BigEndian.Uint32(b[0:]))
	copy(r.Block[:], b[4:36])
	r.Season = int(binary.BigEndian.Uint16(b[36:]))
	copy(r.TxID[:], b[38:70])
	r.MainHeight = int32(binary.BigEndian.Uint32(b[70:]))
	r.MainTime = int64(binary.BigEndian.Uint64(b[74:]))
	for _, s := range b[recordFixed:] {
		r.Signers = append(r.Signers, int(s))
	}
	return r, nil
}

// pending is a notarization transaction seen in a mainchain block that
// does not count yet: its block is unknown to the sidechain or not on it,
// it lacks confirmations, or its prevouts could not be fetched
// (prevouts nil).
type pending struct {
	mainHeight int32
	mainTime   int64 // the mainchain block's timestamp, Unix seconds
	index      uint32
	tx         *wire.MsgTx
	prevouts   []*wire.TxOut
}

func pendingKey(mainHeight int32, index uint32) []byte {
	k := append([]byte(nil), keyPendingPrefix...)
	k = binary.BigEndian.AppendUint32(k, uint32(mainHeight))
	return binary.BigEndian.AppendUint32(k, index)
}

// encodePending: a flag byte (1: prevouts known), the mainchain block's
// timestamp (8, Unix seconds), the transaction's length (4) and its serialization with witnesses, then, with the flag,
// the prevouts as the outputs of an input-less transaction serialized
// without witness. Both through btcd's wire encoding.
func encodePending(p *pending) ([]byte, error) {
	var tx bytes.Buffer
	if err := p.tx.Serialize(&tx); err != nil {
		return nil, err
	}
	b := []byte{0}
	if p.prevouts != nil {
		b[0] = 1
	}
	b = binary.BigEndian.AppendUint64(b, uint64(p.mainTime))
	b = binary.BigEndian.AppendUint32(b, uint32(tx.Len()))
	b = append(b, tx.Bytes()...)
	if p.prevouts != nil {
		holder := wire.NewMsgTx(wire.TxVersion)
		holder.TxOut = p.prevouts
		var pv bytes.Buffer
		if err := holder.SerializeNoWitness(&pv); err != nil {
			return nil, err
		}
		b = append(b, pv.Bytes()...)
	}
	return b, nil
}

func decodePending(key, b []byte) (*pending, error) {
	const fixed = 13 // flag, time, length
	if len(key) != len(keyPendingPrefix)+8 || len(b) < fixed {
		return nil, fmt.Errorf("%w: pending %x", errCorrupt, key)
	}
	p := &pending{
		mainHeight: int32(binary.BigEndian.Uint32(key[len(keyPendingPrefix):])),
		index:      binary.BigEndian.Uint32(key[len(keyPendingPrefix)+4:]),
		mainTime:   int64(binary.BigEndian.Uint64(b[1:9])),
		tx:         new(wire.MsgTx),
	}
	n := int(binary.BigEndian.Uint32(b[9:fixed]))
	if n > len(b)-fixed {
		return nil, fmt.Errorf("%w: pending %x", errCorrupt, key)
	}
	if err := p.tx.Deserialize(bytes.NewReader(b[fixed : fixed+n])); err != nil {
		return nil, fmt.Errorf("%w: pending %x: %v", errCorrupt, key, err)
	}
	if b[0] == 1 {
		holder := new(wire.MsgTx)
		if err := holder.DeserializeNoWitness(bytes.NewReader(b[fixed+n:])); err != nil {
			return nil, fmt.Errorf("%w: pending %x: %v", errCorrupt, key, err)
		}
		p.prevouts = holder.TxOut
		if p.prevouts == nil {
			p.prevouts = []*wire.TxOut{}
		}
	}
	return p, nil
}
