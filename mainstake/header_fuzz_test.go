package mainstake

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
)

// FuzzParseHeaderTx feeds arbitrary serialized transactions to the header
// transaction rules, for one ticket (its publisher outpoint and key).
// Nothing may panic; a refusal is a *RuleError with a header rule's code
// and no header; an acceptance satisfies every rule ParseHeaderTx lists,
// which the test checks again from the transaction; and ClassifySpend
// agrees. Seeds are headers as BuildHeaderTx signs them and as tests
// build them, with the rules broken one at a time.
func FuzzParseHeaderTx(f *testing.F) {
	p := testParams()
	priv, pub := testKey(1)
	publisher := wire.OutPoint{Hash: hashOf("registration"), Index: 2}
	seed := func(tx *wire.MsgTx) {
		var buf bytes.Buffer
		if err := tx.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	hdr := &opreturn.Header{PrevBlock: chainhash.Hash{7}, MerkleRoot: chainhash.Hash{8}}
	ticket := &Ticket{Current: publisher, CurrentValue: 100_000}
	ticket.PubKey = pub
	built, err := BuildHeaderTx(ticket, hdr, p.SidechainID, 2, priv)
	if err != nil {
		f.Fatal(err)
	}
	seed(built)
	good := headerTx(f, publisher, pub, hdr)
	good.TxOut[0].PkScript = encode(f, p.SidechainID, hdr)
	seed(good)
	swapped := good.Copy() // the OP_RETURN after the publisher output
	swapped.TxOut[0], swapped.TxOut[1] = swapped.TxOut[1], swapped.TxOut[0]
	seed(swapped)
	twice := good.Copy() // two OP_RETURNs
	twice.AddTxOut(wire.NewTxOut(0, good.TxOut[0].PkScript))
	seed(twice)
	late := good.Copy() // the publisher spent by input 1
	late.TxIn[0], late.TxIn[1] = late.TxIn[1], late.TxIn[0]
	seed(late)
	stranger := good.Copy() // output 1 pays another key
	_, other := testKey(2)
	stranger.TxOut[1].PkScript = mustScript(PublisherScript(other))
	seed(stranger)
	deposit := good.Copy() // another kind of payload
	deposit.TxOut[0].PkScript = encode(f, p.SidechainID, &opreturn.Deposit{Vout: 1,
		SideScript: mustScript(PublisherScript(pub))})
	seed(deposit)
	f.Add([]byte{})

	codes := map[ErrorCode]bool{ErrHeaderInput: true, ErrNoPayload: true,
		ErrWrongKind: true, ErrHeaderOutputOrder: true, ErrPublisherScript: true}
	pubScript := mustScript(PublisherScript(pub))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
			return
		}
		h, next, err := ParseHeaderTx(&tx, publisher, pub, p.SidechainID)
		s, cerr := ClassifySpend(&tx, publisher, pub, p.SidechainID)
		if cerr != nil {
			t.Fatalf("ClassifySpend: %v", cerr)
		}
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) || !codes[re.ErrorCode] {
				t.Fatalf("refusal %T %v has no header rule's code", err, err)
			}
			if h != nil || next != (wire.OutPoint{}) {
				t.Fatalf("refused with header %+v, next %v", h, next)
			}
			if s.Class == ValidHeader {
				t.Fatalf("ClassifySpend accepts what ParseHeaderTx refuses: %v", err)
			}
			return
		}
		if s.Class != ValidHeader || s.Next != next {
			t.Fatalf("ClassifySpend says %v, next %v", s.Class, s.Next)
		}
		if tx.TxIn[0].PreviousOutPoint != publisher {
			t.Fatal("accepted without spending the publisher in input 0")
		}
		vout, payload, perr := opreturn.FindInTx(&tx, p.SidechainID)
		if perr != nil || vout != 0 {
			t.Fatalf("accepted with payload at %d: %v", vout, perr)
		}
		if ph, ok := payload.(*opreturn.Header); !ok || *ph != *h {
			t.Fatalf("accepted header %+v, payload %+v", h, payload)
		}
		if len(tx.TxOut) < 2 || !bytes.Equal(tx.TxOut[1].PkScript, pubScript) {
			t.Fatal("accepted without the publisher output")
		}
		if next != (wire.OutPoint{Hash: tx.TxHash(), Index: 1}) {
			t.Fatalf("next publisher %v", next)
		}
	})
}
