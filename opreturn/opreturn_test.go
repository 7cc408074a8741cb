package opreturn

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

const testID = 0x00000d07

// testPubKey returns a fixed valid public key.
func testPubKey(t testing.TB) *btcec.PublicKey {
	t.Helper()
	_, pub := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{0x11}, 32))
	return pub
}

// seq returns n bytes counting up from start.
func seq(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func seqHash(start byte) chainhash.Hash {
	var h chainhash.Hash
	copy(h[:], seq(start, 32))
	return h
}

// samplePayloads returns one payload of every kind.
func samplePayloads(t testing.TB) []Payload {
	return []Payload{
		NewStake(700_000, 1, 2, testPubKey(t)),
		NewColdStake(700_000, 1, 2, testPubKey(t), [20]byte{1, 2, 3, 19: 20}),
		&Header{PrevBlock: seqHash(0), MerkleRoot: seqHash(100)},
		&Deposit{Vout: 3, SideScript: seq(7, 22)},
		&Deposit{Vout: 0, SideScript: []byte{0x51}},
		&Deposit{Vout: 255, SideScript: seq(1, MaxSideScriptLen)},
		&Payout{SideBlock: seqHash(50)},
		&Rotation{Epoch: 0xfffffffe},
		&Notarization{Block: seqHash(9), Height: 123456, Season: 7},
	}
}

// prefix returns a payload prefix with the given fields.
func prefix(kind Kind, id uint32) []byte {
	b := append([]byte(Magic), Version, byte(kind))
	return binary.BigEndian.AppendUint32(b, id)
}

// nullData wraps payload in a canonical OP_RETURN script.
func nullData(t testing.TB, payload []byte) []byte {
	t.Helper()
	s, err := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).
		AddData(payload).Script()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// payloadOf returns the canonical payload bytes of p.
func payloadOf(t testing.TB, p Payload) []byte {
	t.Helper()
	s, err := Encode(testID, p)
	if err != nil {
		t.Fatal(err)
	}
	data, err := txscript.PushedData(s)
	if err != nil || len(data) != 1 {
		t.Fatalf("PushedData: %v %d", err, len(data))
	}
	return data[0]
}

func requireCode(t testing.TB, err error, code ErrorCode) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	var rerr *RuleError
	if !errors.As(err, &rerr) {
		t.Fatalf("got %T %v, want *RuleError %v", err, err, code)
	}
	if rerr.ErrorCode != code {
		t.Fatalf("got %v (%v), want %v", rerr.ErrorCode, err, code)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, p := range samplePayloads(t) {
		script, err := Encode(testID, p)
		if err != nil {
			t.Fatalf("%v: %v", p.Kind(), err)
		}
		if !txscript.IsUnspendable(script) ||
			txscript.GetScriptClass(script) != txscript.NullDataTy {
			t.Fatalf("%v: script %x is not standard null data",
				p.Kind(), script)
		}
		got, err := Parse(script, testID)
		if err != nil {
			t.Fatalf("%v: Parse: %v", p.Kind(), err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("%v: got %+v, want %+v", p.Kind(), got, p)
		}
		if !lengthOK(p.Kind(), len(payloadOf(t, p))) {
			t.Fatalf("%v: bad length", p.Kind())
		}
	}
}

// TestGolden pins the byte layout: big-endian integers, hashes in internal
// byte order, the canonical push.
func TestGolden(t *testing.T) {
	h := &Header{PrevBlock: seqHash(0), MerkleRoot: seqHash(0x20)}
	tests := []struct {
		p    Payload
		want string
	}{{
		&Rotation{Epoch: 0x01020304},
		"6a0d" + "504d53" + "01" + "52" + "00000d07" + "01020304",
	}, {
		h,
		"6a49" + "504d53" + "01" + "48" + "00000d07" +
			hex.EncodeToString(seq(0, 64)),
	}, {
		&Notarization{Block: seqHash(0), Height: 0x0a0b0c0d,
			Season: 0x0102},
		"6a2f" + "504d53" + "01" + "4e" + "00000d07" +
			hex.EncodeToString(seq(0, 32)) + "0a0b0c0d" + "0102",
	}, {
		&Deposit{Vout: 2, SideScript: []byte{0x00, 0x14}},
		"6a0c" + "504d53" + "01" + "44" + "00000d07" + "02" + "0014",
	}}
	for _, test := range tests {
		script, err := Encode(testID, test.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(script); got != test.want {
			t.Errorf("%v:\ngot  %s\nwant %s", test.p.Kind(), got,
				test.want)
		}
	}
	// The stake layout, field by field.
	pub := testPubKey(t)
	s := NewStake(0x00abcdef, 4, 9, pub)
	want := append(prefix(KindStake, testID), 0x00, 0xab, 0xcd, 0xef, 4, 9)
	want = append(want, pub.SerializeCompressed()...)
	if got := payloadOf(t, s); !bytes.Equal(got, want) {
		t.Fatalf("stake payload %x, want %x", got, want)
	}
	if len(want) != StakeLen || StakeLen != 48 || HeaderLen != 73 ||
		PayoutLen != 41 || RotationLen != 13 || NotarizationLen != 47 ||
		MaxDepositLen != 80 || MaxSideScriptLen != 70 {

		t.Fatal("payload lengths differ from the protocol table")
	}
	if k, err := s.PublicKey(); err != nil || !k.IsEqual(pub) {
		t.Fatalf("PublicKey: %v", err)
	}
	// The cold-owner form appends the owner key hash: 68 bytes.
	owner := [20]byte{0xaa, 19: 0xbb}
	cold := NewColdStake(0x00abcdef, 4, 9, pub, owner)
	want = append(want, owner[:]...)
	if got := payloadOf(t, cold); !bytes.Equal(got, want) || len(want) != ColdStakeLen ||
		ColdStakeLen != 68 {

		t.Fatalf("cold stake payload %x, want %x", got, want)
	}
	script, err := Encode(testID, cold)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(script, testID)
	if err != nil {
		t.Fatal(err)
	}
	if bs := back.(*Stake); !bs.Cold || bs.OwnerKeyHash != owner {
		t.Fatalf("cold stake parsed as %+v", bs)
	}
	// A length between the two forms, or past the cold one, is neither.
	for _, n := range []int{StakeLen + 1, ColdStakeLen - 1, ColdStakeLen + 1} {
		b := append(bytes.Clone(want), make([]byte, 8)...)[:n]
		s, err := txscript.NullDataScript(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(s, testID); !IsErrorCode(err, ErrBadLength) {
			t.Fatalf("stake payload of %d bytes: %v, want ErrBadLength", n, err)
		}
	}
}

// notOnCurveX returns a compressed key encoding whose x has no point on
// the curve.
func notOnCurveX(t *testing.T) []byte {
	for i := 1; i < 1000; i++ {
		b := make([]byte, 33)
		b[0] = 0x02
		b[32] = byte(i)
		b[31] = byte(i >> 8)
		if _, err := btcec.ParsePubKey(b); err != nil {
			return b
		}
	}
	t.Fatal("no x off the curve found")
	return nil
}

func TestParseErrors(t *testing.T) {
	stake := payloadOf(t, NewStake(100, 0, 1, testPubKey(t)))
	with := func(b []byte, i int, v byte) []byte {
		c := bytes.Clone(b)
		c[i] = v
		return c
	}
	stakeWithKey := func(key []byte) []byte {
		return nullData(t, append(bytes.Clone(stake[:15]), key...))
	}
	var uncompressed [33]byte
	copy(uncompressed[:], stake[15:])
	uncompressed[0] = 0x04
	var hybrid = uncompressed
	hybrid[0] = 0x06
	overflowX := append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)

	p2wpkh, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(seq(0, 20)).Script()
	twoPushes, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).
		AddData(stake).AddData([]byte{1}).Script()
	pushDrop, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).
		AddData(stake).AddOp(txscript.OP_DROP).Script()
	tooLong, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).
		AddData(append(bytes.Clone(stake), seq(0, 33)...)).Script()
	pushdata1 := append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA1,
		byte(len(stake))}, stake...)
	pushdata2 := append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA2,
		byte(len(stake)), 0}, stake...)
	pushdata4 := append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA4,
		byte(len(stake)), 0, 0, 0}, stake...)
	rotation := payloadOf(t, &Rotation{Epoch: 1})

	tests := []struct {
		name   string
		script []byte
		code   ErrorCode
	}{
		{"nil", nil, ErrNotNullData},
		{"empty", []byte{}, ErrNotNullData},
		{"p2wpkh", p2wpkh, ErrNotNullData},
		{"op_return second", append([]byte{txscript.OP_0},
			nullData(t, stake)...), ErrNotNullData},

		{"bare op_return", []byte{txscript.OP_RETURN}, ErrNotSinglePush},
		{"op_return op_dup", []byte{txscript.OP_RETURN, txscript.OP_DUP},
			ErrNotSinglePush},
		{"op_return op_return", []byte{txscript.OP_RETURN,
			txscript.OP_RETURN}, ErrNotSinglePush},
		{"op_1", []byte{txscript.OP_RETURN, txscript.OP_1},
			ErrNotSinglePush},
		{"op_1negate", []byte{txscript.OP_RETURN, txscript.OP_1NEGATE},
			ErrNotSinglePush},
		{"two pushes", twoPushes, ErrNotSinglePush},
		{"push then opcode", pushDrop, ErrNotSinglePush},
		{"truncated push", nullData(t, stake)[:30], ErrNotSinglePush},
		{"truncated pushdata1", []byte{txscript.OP_RETURN,
			txscript.OP_PUSHDATA1}, ErrNotSinglePush},

		{"81 bytes", tooLong, ErrPayloadTooLong},

		{"pushdata1 48", pushdata1, ErrNonCanonicalPush},
		{"pushdata2 48", pushdata2, ErrNonCanonicalPush},
		{"pushdata4 48", pushdata4, ErrNonCanonicalPush},
		{"op_data_1 small int", []byte{txscript.OP_RETURN,
			txscript.OP_DATA_1, 5}, ErrNonCanonicalPush},

		{"op_0", []byte{txscript.OP_RETURN, txscript.OP_0},
			ErrShortPayload},
		{"8 bytes", nullData(t, stake[:8]), ErrShortPayload},
		{"magic only", nullData(t, []byte(Magic)), ErrShortPayload},

		{"magic PMT", nullData(t, with(stake, 2, 'T')), ErrBadMagic},
		{"magic lower", nullData(t, with(stake, 0, 'p')), ErrBadMagic},

		{"version 0", nullData(t, with(stake, 3, 0)), ErrUnknownVersion},
		{"version 2", nullData(t, with(stake, 3, 2)), ErrUnknownVersion},

		{"kind X", nullData(t, with(stake, 4, 'X')), ErrUnknownKind},
		{"kind s", nullData(t, with(stake, 4, 's')), ErrUnknownKind},
		{"kind w", nullData(t, with(stake, 4, 'w')), ErrUnknownKind},
		{"kind 0", nullData(t, with(stake, 4, 0)), ErrUnknownKind},

		{"zero id", nullData(t, append(prefix(KindRotation, 0),
			1, 2, 3, 4)), ErrZeroSidechainID},
		{"other id", nullData(t, append(prefix(KindRotation, 1),
			1, 2, 3, 4)), ErrWrongSidechain},
		{"other id high byte", nullData(t, with(rotation, 5, 0x80)),
			ErrWrongSidechain},

		{"stake 47", nullData(t, stake[:47]), ErrBadLength},
		{"stake 49", nullData(t, append(bytes.Clone(stake), 0)),
			ErrBadLength},
		{"header 72", nullData(t, append(prefix(KindHeader, testID),
			seq(0, 63)...)), ErrBadLength},
		{"header 74", nullData(t, append(prefix(KindHeader, testID),
			seq(0, 65)...)), ErrBadLength},
		{"deposit no script", nullData(t, append(
			prefix(KindDeposit, testID), 0)), ErrBadLength},
		{"deposit prefix only", nullData(t, prefix(KindDeposit, testID)),
			ErrBadLength},
		{"payout 40", nullData(t, append(prefix(KindPayout, testID),
			seq(0, 31)...)), ErrBadLength},
		{"rotation 14", nullData(t, append(bytes.Clone(rotation), 0)),
			ErrBadLength},
		{"rotation 9", nullData(t, prefix(KindRotation, testID)),
			ErrBadLength},
		{"notarization 46", nullData(t, append(
			prefix(KindNotarization, testID), seq(0, 37)...)),
			ErrBadLength},
		{"notarization 48", nullData(t, append(
			prefix(KindNotarization, testID), seq(0, 39)...)),
			ErrBadLength},
		{"notarization 77 (with a MoM)", nullData(t, append(
			prefix(KindNotarization, testID), seq(0, 68)...)),
			ErrBadLength},

		{"pubkey 04 prefix", stakeWithKey(uncompressed[:]), ErrBadPubKey},
		{"pubkey 06 prefix", stakeWithKey(hybrid[:]), ErrBadPubKey},
		{"pubkey 00", stakeWithKey(make([]byte, 33)), ErrBadPubKey},
		{"pubkey x >= p", stakeWithKey(overflowX), ErrBadPubKey},
		{"pubkey x off curve", stakeWithKey(notOnCurveX(t)),
			ErrBadPubKey},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			p, err := Parse(test.script, testID)
			if p != nil {
				t.Errorf("got payload %+v with error", p)
			}
			requireCode(t, err, test.code)
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	var nilStake *Stake
	bad := NewStake(1, 0, 1, testPubKey(t))
	bad.PubKey[0] = 0x04
	tests := []struct {
		name string
		id   uint32
		p    Payload
		code ErrorCode
	}{
		{"nil", testID, nil, ErrUnknownKind},
		{"typed nil", testID, nilStake, ErrUnknownKind},
		{"zero id", 0, &Rotation{}, ErrZeroSidechainID},
		{"bad pubkey", testID, bad, ErrBadPubKey},
		{"zero pubkey", testID, &Stake{}, ErrBadPubKey},
		{"nil pubkey", testID, NewStake(1, 0, 1, nil), ErrBadPubKey},
		{"empty side script", testID, &Deposit{}, ErrBadLength},
		{"long side script", testID, &Deposit{
			SideScript: seq(0, MaxSideScriptLen+1)}, ErrBadLength},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			s, err := Encode(test.id, test.p)
			if s != nil {
				t.Errorf("got script %x with error", s)
			}
			requireCode(t, err, test.code)
		})
	}
}

// TestDepositCopies checks that a parsed deposit does not alias the
// script it came from.
func TestDepositCopies(t *testing.T) {
	script, err := Encode(testID, &Deposit{SideScript: []byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(script, testID)
	if err != nil {
		t.Fatal(err)
	}
	script[len(script)-1] = 9
	if d := p.(*Deposit); !bytes.Equal(d.SideScript, []byte{1, 2, 3}) {
		t.Fatalf("side script changed with the input: %x", d.SideScript)
	}
}

func TestFindInTx(t *testing.T) {
	good, err := Encode(testID, &Rotation{Epoch: 7})
	if err != nil {
		t.Fatal(err)
	}
	other, err := Encode(testID+1, &Rotation{Epoch: 7})
	if err != nil {
		t.Fatal(err)
	}
	p2wpkh, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(seq(0, 20)).Script()
	mk := func(scripts ...[]byte) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		for _, s := range scripts {
			tx.AddTxOut(wire.NewTxOut(0, s))
		}
		return tx
	}

	tests := []struct {
		name string
		tx   *wire.MsgTx
		vout int
		code ErrorCode // -1: success
	}{
		{"nil tx", nil, -1, ErrNoOpReturn},
		{"no outputs", mk(), -1, ErrNoOpReturn},
		{"no op_return", mk(p2wpkh, p2wpkh), -1, ErrNoOpReturn},
		{"empty script", mk(nil), -1, ErrNoOpReturn},
		{"two good", mk(good, p2wpkh, good), -1, ErrMultipleOpReturn},
		{"good and bare", mk(good, []byte{txscript.OP_RETURN}), -1,
			ErrMultipleOpReturn},
		{"good and malformed", mk(p2wpkh, good,
			[]byte{txscript.OP_RETURN, txscript.OP_DUP}), -1,
			ErrMultipleOpReturn},
		{"other sidechain", mk(p2wpkh, other), 1, ErrWrongSidechain},
		{"malformed", mk([]byte{txscript.OP_RETURN, txscript.OP_DUP}),
			0, ErrNotSinglePush},
		{"first", mk(good, p2wpkh), 0, -1},
		{"last", mk(p2wpkh, p2wpkh, good), 2, -1},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			vout, p, err := FindInTx(test.tx, testID)
			if vout != test.vout {
				t.Errorf("vout %d, want %d", vout, test.vout)
			}
			if test.code < 0 {
				if err != nil {
					t.Fatal(err)
				}
				if r, ok := p.(*Rotation); !ok || r.Epoch != 7 {
					t.Fatalf("payload %+v", p)
				}
				return
			}
			if p != nil {
				t.Errorf("payload %+v with error", p)
			}
			requireCode(t, err, test.code)
		})
	}
}

func TestKindString(t *testing.T) {
	for _, p := range samplePayloads(t) {
		if s := p.Kind().String(); strings.HasPrefix(s, "Kind(") {
			t.Errorf("kind %c has no name", byte(p.Kind()))
		}
	}
	if s := Kind('x').String(); s != "Kind(0x78)" {
		t.Errorf("unknown kind string %q", s)
	}
}

// TestErrorCodeStringer keeps errorCodeStrings complete.
func TestErrorCodeStringer(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if strings.HasPrefix(c.String(), "Unknown") {
			t.Errorf("error code %d has no name", int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("errorCodeStrings has %d entries, want %d",
			len(errorCodeStrings), numErrorCodes)
	}
	if s := numErrorCodes.String(); !strings.HasPrefix(s, "Unknown") {
		t.Errorf("numErrorCodes.String() = %q", s)
	}
}

func TestErrorIsAs(t *testing.T) {
	_, err := Parse(nil, testID)
	wrapped := fmt.Errorf("outer: %w", err)
	if !errors.Is(wrapped, ErrNotNullData) || errors.Is(wrapped, ErrBadMagic) {
		t.Fatal("errors.Is by code")
	}
	if !errors.Is(wrapped, &RuleError{ErrorCode: ErrNotNullData}) {
		t.Fatal("errors.Is by *RuleError")
	}
	if !IsErrorCode(wrapped, ErrNotNullData) || IsErrorCode(nil, ErrNotNullData) {
		t.Fatal("IsErrorCode")
	}
}
