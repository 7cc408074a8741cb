package notarize

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
)

// TestPayloadGolden pins the `N` layout: magic, version, 'N', sidechain id,
// block hash (internal order), height and season, big-endian.
func TestPayloadGolden(t *testing.T) {
	params := testParams()
	var block chainhash.Hash
	for i := range block {
		block[i] = byte(i)
	}
	script := mustEncode(t, Payload{Height: 0x1e, Block: block, Season: 1}, params)
	want := "6a2f" + "504d53" + "01" + "4e" + "00000d64" +
		hex.EncodeToString(block[:]) + "0000001e" + "0001"
	if got := hex.EncodeToString(script); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if len(script)-2 != opreturn.NotarizationLen || opreturn.NotarizationLen != 47 {
		t.Fatal("length")
	}
	if txscript.GetScriptClass(script) != txscript.NullDataTy {
		t.Fatal("not standard null data")
	}
	p, err := ParsePayload(script, params)
	if err != nil || p != (Payload{Height: 0x1e, Block: block, Season: 1}) {
		t.Fatalf("parsed %+v %v", p, err)
	}
}

// TestEncodePayloadRefuses checks that EncodePayload refuses, with
// ParsePayload's codes, a payload that could not count.
func TestEncodePayloadRefuses(t *testing.T) {
	params := testParams()
	b := blockHash(0, 10)
	for _, c := range []struct {
		p      Payload
		params *chainparams.Params
		code   ErrorCode
	}{
		{Payload{Height: 10, Block: b}, &chainparams.Regtest, ErrNoNotarySet},
		{Payload{Height: 10}, params, ErrMalformedPayload},
		{Payload{Height: 11, Block: b}, params, ErrWrongHeight},
		{Payload{Height: -5, Block: b}, params, ErrWrongHeight},
		{Payload{Height: 10, Block: b, Season: 1}, params, ErrSeasonMismatch},
		{Payload{Height: 20, Block: b, Season: 0}, params, ErrSeasonMismatch},
		{Payload{Height: 20, Block: b, Season: 70000}, params, ErrSeasonMismatch},
	} {
		if s, err := EncodePayload(c.p, c.params); s != nil || !IsErrorCode(err, c.code) {
			t.Errorf("%+v: %x %v, want %v", c.p, s, err, c.code)
		}
	}
	if _, err := ParsePayload(nil, &chainparams.Regtest); !IsErrorCode(err, ErrNoNotarySet) {
		t.Errorf("Regtest: %v", err)
	}
}

// TestClaimsNotarization checks which failing scripts count as malformed
// notarizations rather than as other data.
func TestClaimsNotarization(t *testing.T) {
	params := testParams()
	good := mustEncode(t, Payload{Height: 10, Block: blockHash(0, 10)}, params)
	for _, c := range []struct {
		name   string
		script []byte
		code   ErrorCode
	}{
		{"not OP_RETURN", []byte{txscript.OP_TRUE}, ErrNotNotarization},
		{"bare OP_RETURN", []byte{txscript.OP_RETURN}, ErrNotNotarization},
		{"two pushes", []byte{txscript.OP_RETURN, 1, 1, 1, 2}, ErrNotNotarization},
		{"another protocol", append([]byte{txscript.OP_RETURN, 8}, "omni1234"...), ErrNotNotarization},
		{"PMS of another kind, bad length", append([]byte{txscript.OP_RETURN, 10},
			"PMS\x01H\x00\x00\x0d\x64\x00"...), ErrNotNotarization},
		{"unknown version N", append(append([]byte(nil), good[:5]...),
			append([]byte{2}, good[6:]...)...), ErrMalformedPayload},
		{"truncated N", append([]byte{txscript.OP_RETURN, 20}, good[2:22]...), ErrMalformedPayload},
		{"N with trailing opcode", append(append([]byte(nil), good...), txscript.OP_TRUE), ErrMalformedPayload},
	} {
		_, err := ParsePayload(c.script, params)
		if !IsErrorCode(err, c.code) {
			t.Errorf("%s: %v, want %v", c.name, err, c.code)
		}
	}
}

// TestErrorCodes checks that every code has a name and that every code is
// the expected verdict of at least one table case in this package's tests.
func TestErrorCodes(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if strings.HasPrefix(c.String(), "Unknown") {
			t.Errorf("error code %d has no name", int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) ||
		!strings.HasPrefix(numErrorCodes.String(), "Unknown") {
		t.Error("errorCodeStrings is not complete")
	}
	tested := map[ErrorCode]bool{}
	for _, c := range checkCases {
		if !c.accept {
			tested[c.code] = true
		}
	}
	for _, c := range guardCases {
		if !c.accept {
			tested[c.code] = true
		}
	}
	for _, c := range selectCases {
		if !c.accept {
			tested[c.code] = true
		}
	}
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if !tested[c] {
			t.Errorf("no table case expects %v", c)
		}
	}
	err := ruleErrorf(ErrOrphanedBlock, "x")
	if !errors.Is(err, &RuleError{ErrorCode: ErrOrphanedBlock}) ||
		errors.Is(err, ErrUnknownBlock) || err.Unwrap() != nil {
		t.Error("RuleError.Is")
	}
	if _, ok := Code(errors.New("plain")); ok {
		t.Error("Code of a plain error")
	}
}

// FuzzParsePayload checks that ParsePayload never panics, returns a typed
// error for what it refuses, and accepts only scripts EncodePayload
// produces from what it returns. The seeds are the scripts of checkCases
// and the forms around them.
func FuzzParsePayload(f *testing.F) {
	params := testParams()
	for _, tc := range checkCases {
		s := defaultScenario()
		if tc.mod != nil {
			tc.mod(f, s)
		}
		if s.params.Notary == nil {
			continue
		}
		c := s.build(f)
		for _, out := range c.Tx.TxOut {
			f.Add(out.PkScript)
		}
	}
	good := mustEncode(f, Payload{Height: 20, Block: blockHash(0, 20), Season: 1}, params)
	f.Add(good[:len(good)-1])
	f.Add(append(append([]byte(nil), good...), 0))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, script []byte) {
		p, err := ParsePayload(script, params)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) || re.ErrorCode >= numErrorCodes {
				t.Fatalf("error %T %v", err, err)
			}
			if p != (Payload{}) {
				t.Fatalf("payload %+v with error %v", p, err)
			}
			return
		}
		again, err := EncodePayload(p, params)
		if err != nil || !bytes.Equal(again, script) {
			t.Fatalf("re-encoded %x (%v), parsed %x", again, err, script)
		}
		if p.Height <= 0 || p.Height%params.Notary.NotarizationInterval != 0 {
			t.Fatalf("accepted height %d", p.Height)
		}
		if idx, _, _ := params.Notary.SeasonAt(p.Height); idx != p.Season {
			t.Fatalf("accepted season %d at height %d", p.Season, p.Height)
		}
	})
}
