package opreturn

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript"
)

// payloadFromBytes builds a payload of a kind chosen by b from the bytes of
// b, without any validation, so that Encode sees good and bad payloads.
func payloadFromBytes(b []byte) Payload {
	get := func(n int) []byte {
		out := make([]byte, n)
		k := copy(out, b)
		b = b[k:]
		return out
	}
	sel := get(1)[0]
	switch sel % 6 {
	case 0:
		s := &Stake{LockHeight: binary.BigEndian.Uint32(get(4))}
		s.StakeVout, s.PublisherVout = get(1)[0], get(1)[0]
		if sel&0x80 != 0 {
			// Mostly use valid keys, so that round trips get tested.
			_, pub := btcec.PrivKeyFromBytes(get(32))
			copy(s.PubKey[:], pub.SerializeCompressed())
		} else {
			copy(s.PubKey[:], get(33))
		}
		if sel&0x40 != 0 {
			s.Cold = true
			copy(s.OwnerKeyHash[:], get(20))
		}
		return s
	case 1:
		h := &Header{}
		copy(h.PrevBlock[:], get(32))
		copy(h.MerkleRoot[:], get(32))
		return h
	case 2:
		d := &Deposit{Vout: get(1)[0]}
		n := int(get(1)[0]) % (MaxSideScriptLen + 2)
		d.SideScript = get(n)
		return d
	case 3:
		w := &Payout{}
		copy(w.SideBlock[:], get(32))
		return w
	case 4:
		return &Rotation{Epoch: binary.BigEndian.Uint32(get(4))}
	default:
		n := &Notarization{}
		copy(n.Block[:], get(32))
		n.Height = binary.BigEndian.Uint32(get(4))
		n.Season = binary.BigEndian.Uint16(get(2))
		return n
	}
}

// FuzzParse checks that Parse never panics, that every script it accepts
// re-encodes to the same bytes, and that Parse(Encode(x)) == x.
func FuzzParse(f *testing.F) {
	for _, p := range samplePayloads(f) {
		s, err := Encode(testID, p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s, uint32(testID), []byte{})
		f.Add(s[:len(s)-1], uint32(testID), []byte{0x80})
		f.Add(s, uint32(testID+1), []byte{1})
	}
	f.Add([]byte{txscript.OP_RETURN}, uint32(1), []byte{0x80, 1, 2, 3})
	f.Add([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA1, 9,
		'P', 'M', 'S', 1, 'R', 0, 0, 0, 1}, uint32(1), []byte{4})
	f.Add([]byte{}, uint32(0), []byte{2, 0, 70})

	f.Fuzz(func(t *testing.T, script []byte, id uint32, raw []byte) {
		// Any script: a successful parse re-encodes to the script.
		p, err := Parse(script, id)
		if err == nil {
			again, err := Encode(id, p)
			if err != nil {
				t.Fatalf("Encode of parsed %+v: %v", p, err)
			}
			if !bytes.Equal(again, script) {
				t.Fatalf("re-encoded %x, parsed %x", again, script)
			}
			if len(script) > 3+MaxPayloadLen {
				t.Fatalf("accepted a %d-byte script", len(script))
			}
		} else if p != nil {
			t.Fatalf("payload %+v with error %v", p, err)
		} else if _, ok := err.(*RuleError); !ok {
			t.Fatalf("error %T %v is not a *RuleError", err, err)
		}

		// Any payload: Encode either refuses it for a rule of its kind,
		// or Parse returns it unchanged.
		x := payloadFromBytes(raw)
		s, err := Encode(id, x)
		if err != nil {
			if !IsErrorCode(err, ErrZeroSidechainID) &&
				!IsErrorCode(err, ErrBadPubKey) &&
				!IsErrorCode(err, ErrBadLength) {

				t.Fatalf("Encode(%+v): %v", x, err)
			}
			return
		}
		if txscript.GetScriptClass(s) != txscript.NullDataTy {
			t.Fatalf("script %x is not standard null data", s)
		}
		y, err := Parse(s, id)
		if err != nil {
			t.Fatalf("Parse(Encode(%+v)): %v", x, err)
		}
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("round trip: %+v became %+v", x, y)
		}
		if _, err := Parse(s, id+1); id+1 != 0 &&
			!IsErrorCode(err, ErrWrongSidechain) {

			t.Fatalf("parsed for another sidechain: %v", err)
		}
	})
}
