package mainstake

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

// FuzzSignedRenewal feeds arbitrary bytes, as a signed renewal PSBT given
// back by a cold owner's wallet, to FinalizeStakeSpend and CheckRenewal.
// Neither may panic, and a renewal CheckRenewal accepts spends the stake
// alone into a new stake of the same owner, paying out no more than the
// stake.
func FuzzSignedRenewal(f *testing.F) {
	p := testParams()
	seedTicket, owner := coldTicketFor(f)
	tx, err := BuildRenewal(p, seedTicket, renewLock, renewPublisher, renewRate)
	if err != nil {
		f.Fatal(err)
	}
	packet, err := StakeSpendPSBT(tx, seedTicket)
	if err != nil {
		f.Fatal(err)
	}
	add := func(pk *psbt.Packet) {
		var buf bytes.Buffer
		if err := pk.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	add(packet)
	add(outsideSign(f, packet, owner))
	thief := outsideSign(f, packet, owner)
	thief.UnsignedTx.TxOut[BuildStakeVout].Value -= 1000
	thief.UnsignedTx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	thief.Outputs = append(thief.Outputs, psbt.POutput{})
	add(thief)
	f.Add([]byte("psbt\xff"))

	f.Fuzz(func(t *testing.T, raw []byte) {
		pk, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false)
		if err != nil {
			return
		}
		tk := *seedTicket
		tx, err := FinalizeStakeSpend(pk, &tk)
		if err != nil {
			return
		}
		reg, err := CheckRenewal(testParams(), tx, &tk, renewConf, renewPublisher, renewRate)
		if err != nil {
			if reg != nil {
				t.Fatalf("registration %+v with error %v", reg, err)
			}
			return
		}
		var out int64
		for _, o := range tx.TxOut {
			out += o.Value
		}
		if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint != tk.Stake || out > tk.Value ||
			!reg.Cold || reg.OwnerKeyHash != tk.OwnerKeyHash || !reg.PubKey.IsEqual(tk.PubKey) {
			t.Fatalf("accepted renewal %v of ticket %+v", tx, tk)
		}
	})
}
