package notarize

import (
	"reflect"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// TestTargetHeight checks the notarized height for each tip: the greatest
// positive multiple of the interval (5) at least depth (2) below the tip.
func TestTargetHeight(t *testing.T) {
	np := testParams().Notary
	for tip, want := range map[int32]int32{-1: 0, 0: 0, 5: 0, 6: 0, 7: 5,
		8: 5, 11: 5, 12: 10, 13: 10, 16: 10, 17: 15, 1000: 995, 1002: 1000} {

		got, ok := TargetHeight(tip, np)
		if got != want || ok != (want > 0) {
			t.Errorf("TargetHeight(%d) = %d %v, want %d", tip, got, ok, want)
		}
	}
	if _, ok := TargetHeight(100, nil); ok {
		t.Error("a target without a notary set")
	}
	// Every target is a height Check accepts, at least depth deep.
	for tip := int32(0); tip < 200; tip++ {
		h, ok := TargetHeight(tip, np)
		if !ok {
			continue
		}
		if tip-h < np.NotarizationDepth || h%np.NotarizationInterval != 0 ||
			tip-h >= np.NotarizationDepth+np.NotarizationInterval {
			t.Fatalf("tip %d: target %d", tip, h)
		}
	}
}

// TestRoundTarget checks the payload of the next round: nothing before
// the first target or at or below the last notarization, the season in
// force at the target, the chain's block there.
func TestRoundTarget(t *testing.T) {
	params := testParams()
	chain := testChain(40)
	for _, c := range []struct {
		tip  int32
		last int32 // 0: none
		want Payload
		ok   bool
	}{
		{tip: 6},
		{tip: 7, want: Payload{Height: 5, Block: chain[5]}, ok: true},
		{tip: 13, last: 5, want: Payload{Height: 10, Block: chain[10]}, ok: true},
		{tip: 13, last: 10},
		{tip: 14, last: 15},
		{tip: 22, last: 15, want: Payload{Height: 20, Block: chain[20], Season: 1}, ok: true},
		{tip: 48, last: 15}, // target 45, above the chain's tip: no block
	} {
		var last *Notarization
		if c.last > 0 {
			last = &Notarization{Height: c.last}
		}
		got, ok := RoundTarget(chain, c.tip, params, last)
		if ok != c.ok || got != c.want {
			t.Errorf("tip %d last %d: %+v %v, want %+v %v", c.tip, c.last,
				got, ok, c.want, c.ok)
		}
		if ok {
			if _, err := EncodePayload(got, params); err != nil {
				t.Errorf("tip %d: target does not encode: %v", c.tip, err)
			}
		}
	}
	np := *params.Notary
	np.Seasons = append([]chainparams.NotarySeason(nil), np.Seasons...)
	np.Seasons[0].StartHeight = 11
	p := *params
	p.Notary = &np
	if got, ok := RoundTarget(chain, 13, &p, nil); ok {
		t.Errorf("a target before the first season: %+v", got)
	}
}

// utxo returns a usable candidate of dev notary key k as notary index n.
func utxo(n, k int, value int64, txByte byte, index uint32) NotaryUTXO {
	return NotaryUTXO{
		Notary:   n,
		OutPoint: wire.OutPoint{Hash: chainhash.Hash{txByte}, Index: index},
		Value:    value,
		PkScript: p2wpkh(devKey(k)),
	}
}

// selectCases are SelectInputs' scenarios on season 0 (dev notaries 0 to
// 4, threshold 3, interval 5), minimum value 1,000.
var selectCases = []struct {
	name   string
	height int32
	cands  []NotaryUTXO
	want   []NotaryUTXO
	code   ErrorCode
	accept bool
}{
	{name: "all five offer: three from the rotation start, by index",
		height: 5, accept: true,
		cands: []NotaryUTXO{utxo(4, 4, 5000, 4, 0), utxo(0, 0, 5000, 0, 0),
			utxo(3, 3, 5000, 3, 0), utxo(1, 1, 5000, 1, 0), utxo(2, 2, 5000, 2, 0)},
		// Height 5 is round 1: notaries 1, 2, 3.
		want: []NotaryUTXO{utxo(1, 1, 5000, 1, 0), utxo(2, 2, 5000, 2, 0),
			utxo(3, 3, 5000, 3, 0)}},
	{name: "the rotation wraps around", height: 20 - 5, accept: true,
		cands: []NotaryUTXO{utxo(0, 0, 5000, 0, 0), utxo(1, 1, 5000, 1, 0),
			utxo(2, 2, 5000, 2, 0), utxo(3, 3, 5000, 3, 0), utxo(4, 4, 5000, 4, 0)},
		// Round 3: notaries 3, 4, 0.
		want: []NotaryUTXO{utxo(0, 0, 5000, 0, 0), utxo(3, 3, 5000, 3, 0),
			utxo(4, 4, 5000, 4, 0)}},
	{name: "offline notaries are skipped", height: 5, accept: true,
		cands: []NotaryUTXO{utxo(0, 0, 5000, 0, 0), utxo(4, 4, 5000, 4, 0),
			utxo(2, 2, 5000, 2, 0)},
		want: []NotaryUTXO{utxo(0, 0, 5000, 0, 0), utxo(2, 2, 5000, 2, 0),
			utxo(4, 4, 5000, 4, 0)}},
	{name: "least value per notary, then lowest outpoint", height: 10, accept: true,
		cands: []NotaryUTXO{utxo(2, 2, 9000, 2, 0), utxo(2, 2, 3000, 9, 1),
			utxo(2, 2, 3000, 9, 0), utxo(2, 2, 999, 1, 0),
			utxo(3, 3, 5000, 3, 0), utxo(4, 4, 5000, 4, 0)},
		want: []NotaryUTXO{utxo(2, 2, 3000, 9, 0), utxo(3, 3, 5000, 3, 0),
			utxo(4, 4, 5000, 4, 0)}},
	{name: "a candidate under another notary's script is ignored", height: 5,
		cands: []NotaryUTXO{utxo(1, 1, 5000, 1, 0), utxo(2, 2, 5000, 2, 0),
			utxo(3, 4, 5000, 3, 0)},
		code: ErrTooFewNotaries},
	{name: "notary index out of the season", height: 5,
		cands: []NotaryUTXO{utxo(1, 1, 5000, 1, 0), utxo(2, 2, 5000, 2, 0),
			utxo(5, 5, 5000, 3, 0), utxo(-1, 0, 5000, 3, 0)},
		code: ErrTooFewNotaries},
	{name: "outputs below the minimum value are ignored", height: 5,
		cands: []NotaryUTXO{utxo(1, 1, 5000, 1, 0), utxo(2, 2, 5000, 2, 0),
			utxo(3, 3, 999, 3, 0)},
		code: ErrTooFewNotaries},
	{name: "one notary's many outputs count once", height: 5,
		cands: []NotaryUTXO{utxo(1, 1, 5000, 1, 0), utxo(1, 1, 5000, 1, 1),
			utxo(1, 1, 5000, 1, 2), utxo(2, 2, 5000, 2, 0)},
		code: ErrTooFewNotaries},
	{name: "target height not a notarization height", height: 7,
		cands: []NotaryUTXO{utxo(0, 0, 5000, 0, 0), utxo(1, 1, 5000, 1, 0),
			utxo(2, 2, 5000, 2, 0)},
		code: ErrWrongHeight},
}

// TestSelectInputs runs selectCases, and checks that the order of the
// candidates does not matter.
func TestSelectInputs(t *testing.T) {
	params := testParams()
	chain := testChain(40)
	for _, tc := range selectCases {
		p := Payload{Height: tc.height, Block: blockHash(0, tc.height)}
		if tc.height >= 0 && tc.height < int32(len(chain)) {
			p.Block = chain[tc.height]
		}
		got, err := SelectInputs(p, params, tc.cands, 1000)
		if !tc.accept {
			if got != nil || !IsErrorCode(err, tc.code) {
				t.Errorf("%s: got %v %v, want %v", tc.name, got, err, tc.code)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v %v, want %v", tc.name, got, err, tc.want)
			continue
		}
		rev := make([]NotaryUTXO, len(tc.cands))
		for i, c := range tc.cands {
			rev[len(rev)-1-i] = c
		}
		if again, _ := SelectInputs(p, params, rev, 1000); !reflect.DeepEqual(again, got) {
			t.Errorf("%s: reversed candidates give %v", tc.name, again)
		}
	}
}

// TestSelectedInputsCount checks that a transaction built on the selected
// inputs and signed by their notaries counts.
func TestSelectedInputsCount(t *testing.T) {
	params := testParams()
	chain := testChain(40)
	p, ok := RoundTarget(chain, 24, params, nil)
	if !ok || p.Season != 1 {
		t.Fatalf("target %+v %v", p, ok)
	}
	var cands []NotaryUTXO
	for n := 0; n < 5; n++ {
		cands = append(cands, utxo(n, 3+n, 10_000, byte(n), 0))
	}
	in, err := SelectInputs(p, params, cands, 1000)
	if err != nil {
		t.Fatal(err)
	}
	c := notarizationTx(t, mustEncode(t, p, params), nil, 2)
	c.Tx.TxOut[1].Value = 20_000
	var keys []*btcec.PrivateKey
	for _, u := range in {
		c.Tx.AddTxIn(wire.NewTxIn(&u.OutPoint, nil, nil))
		c.Prevouts = append(c.Prevouts, wire.NewTxOut(u.Value, u.PkScript))
		keys = append(keys, devKey(3+u.Notary))
	}
	signAll(t, c, keys, txscript.SigHashAll)
	n, err := Check(*c, params, chain)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Signers) != 3 || n.Height != 20 || n.Season != 1 {
		t.Fatalf("%+v", n)
	}
}

// TestConfirmations checks dpowconfs.
func TestConfirmations(t *testing.T) {
	for _, c := range []struct {
		raw             int32
		notarized, dpow bool
		want            int32
	}{
		{0, false, true, 0}, {0, true, true, 0}, {-3, true, false, 0},
		{1, false, true, 1}, {7, false, true, 1}, {7, true, true, 7},
		{1, true, true, 1}, {7, false, false, 7}, {7, true, false, 7},
		{0, false, false, 0},
	} {
		if got := Confirmations(c.raw, c.notarized, c.dpow); got != c.want {
			t.Errorf("Confirmations(%d, %v, %v) = %d, want %d", c.raw,
				c.notarized, c.dpow, got, c.want)
		}
	}
}

// TestHealthAt checks the alarm levels at the test networks' ages (5 and
// 48 minutes) and at Komodo's.
func TestHealthAt(t *testing.T) {
	np := testParams().Notary
	for age, want := range map[time.Duration]Health{0: Regular,
		5*time.Minute - 1: Regular, 5 * time.Minute: Irregular,
		48*time.Minute - 1: Irregular, 48 * time.Minute: Inactive,
		1000 * time.Hour: Inactive} {

		if got := HealthAt(age, np); got != want {
			t.Errorf("HealthAt(%v) = %v, want %v", age, got, want)
		}
	}
	komodo := &chainparams.NotaryParams{IrregularAge: 150 * time.Minute,
		InactiveAge: 24 * time.Hour}
	if HealthAt(2*time.Hour, komodo) != Regular ||
		HealthAt(3*time.Hour, komodo) != Irregular ||
		HealthAt(25*time.Hour, komodo) != Inactive {
		t.Error("Komodo's ages")
	}
	if Health(9).String() != "unknown" || Inactive.String() != "inactive" {
		t.Error("Health.String")
	}
}

// TestTxConfirmations checks dpowconfs per transaction: 0 unconfirmed, 1
// while confirmed but above the notarized height, the raw count once at or
// below it, the raw count always beside it, and the raw count throughout
// with dPoW counting off.
func TestTxConfirmations(t *testing.T) {
	last := &Notarization{Height: 10}
	cases := []struct {
		raw, height int32
		last        *Notarization
		dpow        bool
		want        DpowConfs
	}{
		{0, 0, last, true, DpowConfs{0, 0, false}},    // mempool
		{-3, 5, last, true, DpowConfs{0, 0, false}},   // negative raw
		{3, 12, last, true, DpowConfs{1, 3, false}},   // above the notarized height
		{7, 12, nil, true, DpowConfs{1, 7, false}},    // no notarization yet
		{5, 10, last, true, DpowConfs{5, 5, true}},    // the notarized block
		{9, 6, last, true, DpowConfs{9, 9, true}},     // below it
		{3, 12, last, false, DpowConfs{3, 3, false}},  // dPoW counting off
		{5, 10, last, false, DpowConfs{5, 5, true}},   // off, notarized
		{0, 5, last, false, DpowConfs{0, 0, false}},   // off, unconfirmed
		{1, 11, last, true, DpowConfs{1, 1, false}},   // tip block
		{12, -1, last, true, DpowConfs{1, 12, false}}, // no height given
	}
	for _, c := range cases {
		if got := TxConfirmations(c.raw, c.height, c.last, c.dpow); got != c.want {
			t.Errorf("TxConfirmations(%d, %d, %v, %v) = %+v, want %+v",
				c.raw, c.height, c.last, c.dpow, got, c.want)
		}
	}
}
