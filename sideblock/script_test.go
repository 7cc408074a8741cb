package sideblock_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

var (
	destP2WPKH = append([]byte{0x00, 0x14}, bytes.Repeat([]byte{1}, 20)...)
	destP2TR   = append([]byte{0x51, 0x20}, bytes.Repeat([]byte{2}, 32)...)
)

// TestWithdrawalScriptRoundTrip builds and parses withdrawal scripts.
func TestWithdrawalScriptRoundTrip(t *testing.T) {
	for _, c := range []struct {
		fee  int64
		dest []byte
	}{
		{0, destP2WPKH},
		{1234, destP2TR},
		{btcutil.MaxSatoshi, destP2TR},
	} {
		s, err := sideblock.WithdrawalScript(c.fee, c.dest)
		if err != nil {
			t.Fatal(err)
		}
		if !txscript.IsNullData(s) || len(s) > 2+80 {
			t.Fatalf("script %x is not standard null data", s)
		}
		want := append([]byte("PMSw"), make([]byte, 8)...)
		binary.BigEndian.PutUint64(want[4:], uint64(c.fee))
		want = append(want, c.dest...)
		if pushed, _ := txscript.PushedData(s); len(pushed) != 1 || !bytes.Equal(pushed[0], want) {
			t.Fatalf("payload %x, want %x", pushed, want)
		}
		fee, dest, ok, err := sideblock.ParseWithdrawalScript(s)
		if !ok || err != nil || fee != c.fee || !bytes.Equal(dest, c.dest) {
			t.Fatalf("parse: %d %x %v %v", fee, dest, ok, err)
		}
	}

	for _, c := range []struct {
		name string
		fee  int64
		dest []byte
		code sideblock.ErrorCode
	}{
		{"negative fee", -1, destP2WPKH, sideblock.ErrBadWithdrawalScript},
		{"fee above supply", btcutil.MaxSatoshi + 1, destP2WPKH, sideblock.ErrBadWithdrawalScript},
		{"no destination", 0, nil, sideblock.ErrBadWithdrawalDestination},
		{"OP_TRUE destination", 0, []byte{0x51}, sideblock.ErrBadWithdrawalDestination},
		{"witness v2 destination", 0, append([]byte{0x52, 0x20}, make([]byte, 32)...), sideblock.ErrBadWithdrawalDestination},
	} {
		if _, err := sideblock.WithdrawalScript(c.fee, c.dest); !sideblock.IsErrorCode(err, c.code) {
			t.Errorf("%s: want %v, got %v", c.name, c.code, err)
		}
	}
}

// TestParseWithdrawalScriptClassifies lists which outputs are ordinary,
// which are plain OP_RETURN data, and which are malformed withdrawals.
func TestParseWithdrawalScriptClassifies(t *testing.T) {
	good, _ := sideblock.WithdrawalScript(10, destP2WPKH)
	payload := good[2:]
	data := func(b []byte) []byte { s, _ := txscript.NullDataScript(b); return s }

	notTagged := map[string][]byte{
		"empty":             nil,
		"P2WPKH":            destP2WPKH,
		"bare OP_RETURN":    {txscript.OP_RETURN},
		"OP_RETURN OP_0":    {txscript.OP_RETURN, txscript.OP_0},
		"OP_RETURN OP_1":    {txscript.OP_RETURN, txscript.OP_1},
		"plain data":        data([]byte("hello")),
		"other PMS kind":    data([]byte("PMSW upper case is mainchain")),
		"tag in 2nd push":   append(data([]byte("x")), payload[:5]...),
		"truncated push":    {txscript.OP_RETURN, txscript.OP_PUSHDATA1, 80, 'P', 'M', 'S', 'w'},
		"short PMS":         data([]byte("PMS")),
		"not OP_RETURN tag": append([]byte{byte(len(payload))}, payload...),
	}
	for name, s := range notTagged {
		_, _, ok, err := sideblock.ParseWithdrawalScript(s)
		if ok || err != nil {
			t.Errorf("%s: tagged=%v err=%v, want plain output", name, ok, err)
		}
	}

	pushdata1 := append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA1, byte(len(payload))}, payload...)
	long := append(append([]byte{}, payload...), bytes.Repeat([]byte{0}, 80)...)
	malformed := map[string]struct {
		script []byte
		code   sideblock.ErrorCode
	}{
		"non-minimal push":    {pushdata1, sideblock.ErrBadWithdrawalScript},
		"trailing opcode":     {append(append([]byte{}, good...), txscript.OP_NOP), sideblock.ErrBadWithdrawalScript},
		"second push":         {append(append([]byte{}, good...), 0x01, 0x00), sideblock.ErrBadWithdrawalScript},
		"payload over 80":     {append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA1, byte(len(long))}, long...), sideblock.ErrBadWithdrawalScript},
		"tag only":            {data([]byte("PMSw")), sideblock.ErrBadWithdrawalScript},
		"fee only":            {data(append([]byte("PMSw"), make([]byte, 8)...)), sideblock.ErrBadWithdrawalScript},
		"fee above supply":    {data(append([]byte("PMSw"), append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0}, destP2WPKH...)...)), sideblock.ErrBadWithdrawalScript},
		"P2PK destination":    {data(append(append([]byte("PMSw"), make([]byte, 8)...), append(append([]byte{33}, bytes.Repeat([]byte{2}, 33)...), txscript.OP_CHECKSIG)...)), sideblock.ErrBadWithdrawalDestination},
		"garbage destination": {data(append(append([]byte("PMSw"), make([]byte, 8)...), 0xff, 0xff)), sideblock.ErrBadWithdrawalDestination},
	}
	for name, c := range malformed {
		_, _, ok, err := sideblock.ParseWithdrawalScript(c.script)
		if !ok || !sideblock.IsErrorCode(err, c.code) {
			t.Errorf("%s: tagged=%v err=%v, want %v", name, ok, err, c.code)
		}
	}
}

// FuzzParseWithdrawalScript parses arbitrary scripts: no panics, and a
// script that parses as a withdrawal is exactly what WithdrawalScript builds
// from its fields.
func FuzzParseWithdrawalScript(f *testing.F) {
	good, _ := sideblock.WithdrawalScript(10, destP2WPKH)
	f.Add(good)
	f.Add([]byte{txscript.OP_RETURN})
	f.Fuzz(func(t *testing.T, s []byte) {
		fee, dest, ok, err := sideblock.ParseWithdrawalScript(s)
		if !ok || err != nil {
			return
		}
		again, err := sideblock.WithdrawalScript(fee, dest)
		if err != nil || !bytes.Equal(again, s) {
			t.Fatalf("script %x parses but does not rebuild: %v", s, err)
		}
	})
}

// TestCoinbaseHeight round-trips lottery heights through coinbase scripts
// and rejects other encodings.
func TestCoinbaseHeight(t *testing.T) {
	heights := []int32{0, 1, 16, 17, 127, 128, 255, 256, 32767, 32768,
		1 << 23, 1<<23 - 1, 1 << 24, math.MaxInt32}
	for _, h := range heights {
		cb, err := sideblock.NewCoinbaseTx(h, []byte("extra"),
			wire.NewTxOut(0, destP2WPKH))
		if err != nil {
			t.Fatal(err)
		}
		if !sideblock.IsCoinbase(cb) {
			t.Fatal("NewCoinbaseTx does not build a coinbase")
		}
		got, err := sideblock.ExtractCoinbaseHeight(cb)
		if err != nil || got != h {
			t.Errorf("height %d: got %d, %v", h, got, err)
		}
		s, _ := sideblock.CoinbaseScript(h, nil)
		want, _ := txscript.NewScriptBuilder().AddInt64(int64(h)).Script()
		if !bytes.Equal(s, want) {
			t.Errorf("height %d: script %x, want %x", h, s, want)
		}
	}

	bad := map[string][]byte{
		"empty":            {},
		"non-push":         {txscript.OP_NOP},
		"OP_1NEGATE":       {txscript.OP_1NEGATE, 0x00},
		"5 as data":        {txscript.OP_DATA_1, 0x05},
		"0 as data":        {txscript.OP_DATA_1, 0x00},
		"padded":           {txscript.OP_DATA_2, 0x11, 0x00},
		"negative":         {txscript.OP_DATA_1, 0x91},
		"5 bytes":          {txscript.OP_DATA_5, 0, 0, 0, 0x80, 0},
		"PUSHDATA1":        {txscript.OP_PUSHDATA1, 1, 0x11},
		"truncated":        {txscript.OP_DATA_2, 0x11},
		"negative 4 bytes": {txscript.OP_DATA_4, 0xff, 0xff, 0xff, 0xff},
	}
	for name, s := range bad {
		cb, _ := sideblock.NewCoinbaseTx(0, nil)
		cb.TxIn[0].SignatureScript = s
		if _, err := sideblock.ExtractCoinbaseHeight(cb); !sideblock.IsErrorCode(err, sideblock.ErrMissingCoinbaseHeight) {
			t.Errorf("%s: want ErrMissingCoinbaseHeight, got %v", name, err)
		}
	}
	if _, err := sideblock.ExtractCoinbaseHeight(wire.NewMsgTx(2)); !sideblock.IsErrorCode(err, sideblock.ErrMissingCoinbaseHeight) {
		t.Errorf("no input: %v", err)
	}
}
