package notarize

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
)

// scenario is one notarization for Check: what the default makes, and what
// each case changes before the candidate is built (script, keys, confs,
// params, chain) and after (post, which may re-sign).
type scenario struct {
	params  *chainparams.Params
	chain   sliceChain
	payload Payload
	script  []byte // overrides the encoding of payload
	keys    []*btcec.PrivateKey
	confs   int32
	post    func(t testing.TB, c *Candidate, s *scenario)
}

// defaultScenario is an accepted notarization: height 10 of a chain whose
// tip is 22, season 0, signed by dev notaries 0, 1 and 2, 2 mainchain
// confirmations.
func defaultScenario() *scenario {
	chain := testChain(22)
	return &scenario{
		params:  testParams(),
		chain:   chain,
		payload: Payload{Height: 10, Block: chain[10], Season: 0},
		keys:    devKeys(0, 1, 2),
		confs:   2,
	}
}

func (s *scenario) build(t testing.TB) *Candidate {
	script := s.script
	if script == nil {
		script = mustEncode(t, s.payload, s.params)
	}
	c := notarizationTx(t, script, s.keys, s.confs)
	if s.post != nil {
		s.post(t, c, s)
	}
	return c
}

// rawN encodes an `N` payload on params's sidechain without notarize's
// rules, as a forger would.
func rawN(t testing.TB, params *chainparams.Params, height uint32, block chainhash.Hash, season uint16) []byte {
	s, err := opreturn.Encode(params.SidechainID, &opreturn.Notarization{
		Block: block, Height: height, Season: season})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkCases are Check's scenarios, in the manner of btcd's
// fullblocktests: each is named for what it does and ends accepted or
// rejected with a code.
var checkCases = []struct {
	name   string
	mod    func(t testing.TB, s *scenario)
	accept bool
	code   ErrorCode
}{
	{name: "3 of 5 notaries of season 0", accept: true},
	{name: "all 5 notaries", accept: true,
		mod: func(t testing.TB, s *scenario) { s.keys = devKeys(4, 2, 0, 3, 1) }},
	{name: "exactly the confirmations needed, more than needed", accept: true,
		mod: func(t testing.TB, s *scenario) { s.confs = 100 }},
	{name: "season 1 at its first notarized height by its notaries", accept: true,
		mod: func(t testing.TB, s *scenario) {
			s.payload = Payload{Height: 20, Block: s.chain[20], Season: 1}
			s.keys = devKeys(3, 7, 5)
		}},
	{name: "notarized block at the chain tip", accept: true,
		mod: func(t testing.TB, s *scenario) {
			s.chain = s.chain[:21]
			s.payload = Payload{Height: 20, Block: s.chain[20], Season: 1}
			s.keys = devKeys(3, 4, 5)
		}},

	{name: "network without a notary set", code: ErrNoNotarySet,
		mod: func(t testing.TB, s *scenario) {
			s.script = rawN(t, s.params, 10, s.chain[10], 0)
			s.params = &chainparams.Regtest
		}},
	{name: "no OP_RETURN output", code: ErrNotNotarization,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				c.Tx.TxOut = c.Tx.TxOut[1:]
				signAll(t, c, s.keys, txscript.SigHashAll)
			}
		}},
	{name: "a pegbox rotation payload", code: ErrNotNotarization,
		mod: func(t testing.TB, s *scenario) {
			r, err := opreturn.Encode(s.params.SidechainID, &opreturn.Rotation{Epoch: 3})
			if err != nil {
				t.Fatal(err)
			}
			s.script = r
		}},
	{name: "another sidechain's notarization", code: ErrNotNotarization,
		mod: func(t testing.TB, s *scenario) {
			other := *s.params
			other.SidechainID++
			s.script = rawN(t, &other, 10, s.chain[10], 0)
		}},
	{name: "an unrelated OP_RETURN", code: ErrNotNotarization,
		mod: func(t testing.TB, s *scenario) { s.script = []byte{txscript.OP_RETURN, 2, 'h', 'i'} }},
	{name: "77-byte payload with a MoM", code: ErrMalformedPayload,
		mod: func(t testing.TB, s *scenario) {
			good := rawN(t, s.params, 10, s.chain[10], 0)
			payload := append(append([]byte(nil), good[2:]...), make([]byte, 30)...)
			script, err := txscript.NullDataScript(payload)
			if err != nil {
				t.Fatal(err)
			}
			s.script = script
		}},
	{name: "notarization pushed with OP_PUSHDATA1", code: ErrMalformedPayload,
		mod: func(t testing.TB, s *scenario) {
			good := rawN(t, s.params, 10, s.chain[10], 0)
			s.script = append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA1,
				byte(len(good) - 2)}, good[2:]...)
		}},
	{name: "second OP_RETURN output", code: ErrMalformedPayload,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				c.Tx.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_RETURN}))
				signAll(t, c, s.keys, txscript.SigHashAll)
			}
		}},
	{name: "zero block hash", code: ErrMalformedPayload,
		mod: func(t testing.TB, s *scenario) { s.script = rawN(t, s.params, 10, chainhash.Hash{}, 0) }},
	{name: "height not a multiple of the interval", code: ErrWrongHeight,
		mod: func(t testing.TB, s *scenario) { s.script = rawN(t, s.params, 12, s.chain[12], 0) }},
	{name: "height 0", code: ErrWrongHeight,
		mod: func(t testing.TB, s *scenario) { s.script = rawN(t, s.params, 0, s.chain[0], 0) }},
	{name: "height above the int32 range", code: ErrWrongHeight,
		mod: func(t testing.TB, s *scenario) {
			s.script = rawN(t, s.params, math.MaxInt32+6, s.chain[10], 0)
		}},
	{name: "height before the first season", code: ErrNoSeason,
		mod: func(t testing.TB, s *scenario) {
			np := *s.params.Notary
			np.Seasons = append([]chainparams.NotarySeason(nil), np.Seasons...)
			np.Seasons[0].StartHeight = 11
			p := *s.params
			p.Notary = &np
			s.params = &p
			s.script = rawN(t, s.params, 10, s.chain[10], 0)
		}},
	{name: "season 1 named at a season-0 height", code: ErrSeasonMismatch,
		mod: func(t testing.TB, s *scenario) {
			s.script = rawN(t, s.params, 10, s.chain[10], 1)
			s.keys = devKeys(3, 4, 5)
		}},
	{name: "season 0 named at a season-1 height", code: ErrSeasonMismatch,
		mod: func(t testing.TB, s *scenario) { s.script = rawN(t, s.params, 20, s.chain[20], 0) }},
	{name: "prevouts missing", code: ErrMissingPrevout,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) { c.Prevouts = c.Prevouts[:2] }
		}},
	{name: "nil prevout", code: ErrMissingPrevout,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) { c.Prevouts[1] = nil }
		}},
	{name: "input spends P2PKH", code: ErrNotP2WPKH,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				script, err := txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).
					AddOp(txscript.OP_HASH160).AddData(make([]byte, 20)).
					AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
				if err != nil {
					t.Fatal(err)
				}
				c.Prevouts[1].PkScript = script
			}
		}},
	{name: "witness of three items", code: ErrNotP2WPKH,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				c.Tx.TxIn[0].Witness = append(c.Tx.TxIn[0].Witness, []byte{1})
			}
		}},
	{name: "input from a non-notary", code: ErrNonNotaryInput,
		mod: func(t testing.TB, s *scenario) { s.keys = devKeys(0, 1, 9, 2) }},
	{name: "season 0 notaries sign a season-1 height", code: ErrNonNotaryInput,
		mod: func(t testing.TB, s *scenario) {
			s.payload = Payload{Height: 20, Block: s.chain[20], Season: 1}
			s.keys = devKeys(0, 1, 2)
		}},
	{name: "notary counted twice", code: ErrDuplicateNotary,
		mod: func(t testing.TB, s *scenario) { s.keys = devKeys(0, 1, 1) }},
	{name: "notary counted twice past the threshold", code: ErrDuplicateNotary,
		mod: func(t testing.TB, s *scenario) { s.keys = devKeys(0, 1, 2, 3, 0) }},
	{name: "SIGHASH_NONE signature", code: ErrBadSigHashType,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				signAll(t, c, s.keys, txscript.SigHashNone)
			}
		}},
	{name: "SIGHASH_ALL|ANYONECANPAY signature", code: ErrBadSigHashType,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				signAll(t, c, s.keys, txscript.SigHashAll|txscript.SigHashAnyOneCanPay)
			}
		}},
	{name: "empty signature", code: ErrBadSigHashType,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) { c.Tx.TxIn[2].Witness[0] = nil }
		}},
	{name: "2 of 5 notaries", code: ErrTooFewNotaries,
		mod: func(t testing.TB, s *scenario) { s.keys = devKeys(3, 1) }},
	{name: "no inputs", code: ErrTooFewNotaries,
		mod: func(t testing.TB, s *scenario) { s.keys = nil }},
	{name: "signed by another key under a notary's name", code: ErrBadSignature,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				keys := devKeys(0, 1, 2)
				keys[1] = devKey(9)
				signAll(t, c, keys, txscript.SigHashAll)
				c.Tx.TxIn[1].Witness[1] = devKey(1).PubKey().SerializeCompressed()
			}
		}},
	{name: "notary 3's key on notary 1's output", code: ErrBadSignature,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				c.Prevouts[1].PkScript = p2wpkh(devKey(3))
				signAll(t, c, s.keys, txscript.SigHashAll)
			}
		}},
	{name: "payload changed after signing", code: ErrBadSignature,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) {
				c.Tx.TxOut[0].PkScript = mustEncode(t, Payload{Height: 15,
					Block: s.chain[15]}, s.params)
			}
		}},
	{name: "prevout value differs from the signed one", code: ErrBadSignature,
		mod: func(t testing.TB, s *scenario) {
			s.post = func(t testing.TB, c *Candidate, s *scenario) { c.Prevouts[0].Value++ }
		}},
	{name: "block above the sidechain tip", code: ErrUnknownBlock,
		mod: func(t testing.TB, s *scenario) {
			s.payload = Payload{Height: 25, Block: blockHash(0, 25), Season: 1}
			s.keys = devKeys(3, 4, 5)
		}},
	{name: "block of another branch", code: ErrOrphanedBlock,
		mod: func(t testing.TB, s *scenario) { s.payload.Block = blockHash(1, 10) }},
	{name: "one confirmation short", code: ErrTooFewConfirmations,
		mod: func(t testing.TB, s *scenario) { s.confs = 1 }},
	{name: "in the mempool", code: ErrTooFewConfirmations,
		mod: func(t testing.TB, s *scenario) { s.confs = 0 }},
}

// TestCheck runs checkCases.
func TestCheck(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultScenario()
			if tc.mod != nil {
				tc.mod(t, s)
			}
			c := s.build(t)
			n, err := Check(*c, s.params, s.chain)
			if tc.accept {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				p, _ := ParsePayload(c.Tx.TxOut[0].PkScript, s.params)
				want := &Notarization{Height: p.Height, Block: p.Block,
					Season: p.Season, TxID: c.Tx.TxHash(),
					Signers: signerIndexes(s.params, p, s.keys)}
				if !reflect.DeepEqual(n, want) {
					t.Fatalf("got %+v, want %+v", n, want)
				}
				return
			}
			if n != nil || !IsErrorCode(err, tc.code) {
				t.Fatalf("got %v (%v), want %v", n, err, tc.code)
			}
			if code, ok := Code(err); !ok || code != tc.code {
				t.Fatalf("Code(%v) = %v %v", err, code, ok)
			}
		})
	}
}

// signerIndexes returns the season indexes of keys.
func signerIndexes(params *chainparams.Params, p Payload, keys []*btcec.PrivateKey) []int {
	season := &params.Notary.Seasons[p.Season]
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = season.NotaryIndex(k.PubKey().SerializeCompressed())
	}
	return out
}

// TestCheckWraps checks that the underlying errors stay reachable: the
// opreturn code of a malformed payload, the script engine's error.
func TestCheckWraps(t *testing.T) {
	s := defaultScenario()
	good := rawN(t, s.params, 10, s.chain[10], 0)
	script, _ := txscript.NullDataScript(append(append([]byte(nil), good[2:]...), 0))
	s.script = script
	_, err := Check(*s.build(t), s.params, s.chain)
	if !IsErrorCode(err, ErrMalformedPayload) || !errors.Is(err, opreturn.ErrBadLength) {
		t.Fatalf("got %v", err)
	}
	s = defaultScenario()
	c := s.build(t)
	c.Prevouts[0].Value++
	_, err = Check(*c, s.params, s.chain)
	var se txscript.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v, no txscript.Error inside", err)
	}
}

// TestSupersedes checks that the last notarization only moves up.
func TestSupersedes(t *testing.T) {
	a := &Notarization{Height: 10}
	b := &Notarization{Height: 15}
	if !a.Supersedes(nil) || !b.Supersedes(a) || a.Supersedes(b) || a.Supersedes(a) {
		t.Fatal("Supersedes")
	}
}

// BenchmarkCheck64of13 measures Check on a notarization signed by 13 of a
// 64-notary season, Komodo's numbers.
func BenchmarkCheck64of13(b *testing.B) {
	p := chainparams.DpowRegtest
	np := *p.Notary
	keys := make([][33]byte, 64)
	for i := range keys {
		copy(keys[i][:], devKey(i).PubKey().SerializeCompressed())
	}
	np.Seasons = []chainparams.NotarySeason{{Pubkeys: keys, Threshold: 13}}
	p.Notary = &np
	chain := testChain(30)
	signers := make([]int, 13)
	for i := range signers {
		signers[i] = 50 - 3*i
	}
	c := notarizationTx(b, mustEncode(b, Payload{Height: 25, Block: chain[25]}, &p),
		devKeys(signers...), 2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Check(*c, &p, chain); err != nil {
			b.Fatal(err)
		}
	}
}
