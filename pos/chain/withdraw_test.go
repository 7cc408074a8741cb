package chain

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// TestWithdrawal: a validator that exits is paid its whole balance to its
// withdrawal script by the first block of its withdrawable epoch, in the
// payout transaction after the coinbase; a block that leaves the payout
// out or changes it is refused with ErrBadWithdrawals; the other three
// go on finalizing.
func TestWithdrawal(t *testing.T) {
	s := newSim(t, []bool{true, true, true, true})
	for i := 0; i < 5*8; i++ {
		s.step()
	}
	const v = 1
	s.exits = []SignedExit{s.cfg.NewExit(5, v, s.keys[v])}
	s.step()
	_, st := s.nodes[0].Head()
	val := st.Registry.Validators[v]
	if val.WithdrawableEpoch == ^uint64(0) {
		t.Fatal("the exit was not included")
	}
	due := s.cfg.EpochStart(val.WithdrawableEpoch)
	for s.slot+1 < due {
		s.step()
	}
	tr := &tree{t: t, cfg: s.cfg, keys: s.keys, c: s.nodes[0]}
	head, before := s.nodes[0].Head()
	balance := before.Registry.Validators[v].Balance
	slot := tr.nextSlot(head, due)
	good := tr.build(head, slot, nil)
	if len(good.Body.Transactions) < 2 || !sideblock.IsMintTx(good.Body.Transactions[1]) {
		t.Fatal("the built block pays nothing out")
	}
	p := good.Header.Message.ProposerIndex

	missing := clone(good)
	missing.Body.Transactions = missing.Body.Transactions[:1]
	tr.reseal(head, missing, s.keys[p])
	tr.reject("payout left out", missing, slot, ErrBadWithdrawals)

	more := clone(good)
	more.Body.Transactions[1].TxOut[0].Value++
	tr.reseal(head, more, s.keys[p])
	tr.reject("payout of one satoshi more", more, slot, ErrBadWithdrawals)

	r := tr.accept("payout", good, slot)
	after := tr.state(r)
	if after.Registry.Validators[v].Balance != 0 || after.Withdrawals != 1 {
		t.Fatalf("balance %d after the payout, %d payouts", after.Registry.Validators[v].Balance, after.Withdrawals)
	}
	payout := good.Body.Transactions[1]
	u, ok := after.Utxo.FetchUtxo(wire.OutPoint{Hash: payout.TxHash(), Index: 0})
	if !ok || u.Value != int64(balance) || !bytes.Equal(u.PkScript, before.Registry.Validators[v].WithdrawalScript) || u.IsCoinbase {
		t.Fatalf("payout output %+v %v, want %d", u, ok, balance)
	}
	// Nothing is due in the next block: a payout there is refused.
	next := tr.nextSlot(r, slot+1)
	again := tr.build(r, next, nil)
	if len(again.Body.Transactions) != 1 {
		t.Fatal("a second payout")
	}
	again.Body.Transactions = append(again.Body.Transactions, payout)
	tr.reseal(r, again, s.keys[again.Header.Message.ProposerIndex])
	tr.reject("a payout when none is due", again, next, ErrBadWithdrawals)
}
