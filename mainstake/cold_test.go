package mainstake

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
)

// buildColdTest returns a registration of the cold-owner form: publisher
// key testKey(1), owner key testKey(3).
func buildColdTest(t testing.TB, p *chainparams.Params) *wire.MsgTx {
	t.Helper()
	_, pub := testKey(1)
	_, owner := testKey(3)
	tx, err := BuildColdRegistration(p, testStake, testLock, pub, owner, testPub)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

type coldCase struct {
	name   string
	mutate func(tx *wire.MsgTx, p *chainparams.Params) int32
	code   ErrorCode // -1: accepted
}

// coldCases are the rules of the cold-owner form, one broken per case,
// starting from buildColdTest.
func coldCases(t testing.TB, p *chainparams.Params) []coldCase {
	_, pub := testKey(1)
	_, owner := testKey(3)
	_, other := testKey(4)
	ownerHash := OwnerKeyHash(owner)
	coldPayload := func(pubKey *btcec.PublicKey, hash [20]byte) []byte {
		return encode(t, p.SidechainID, opreturn.NewColdStake(testLock,
			BuildStakeVout, BuildPublisherVout, pubKey, hash))
	}
	return []coldCase{
		{"built", nil, -1},
		{"wallet inputs and change", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 3}, nil, nil))
			tx.AddTxOut(wire.NewTxOut(12345, mustScript(PublisherScript(other))))
			return testConf
		}, -1},
		{"owner is the publisher key", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = coldPayload(pub, OwnerKeyHash(pub))
			tx.TxOut[1].PkScript = mustScript(ColdStakePkScript(testLock, OwnerKeyHash(pub)))
			return testConf
		}, ErrOwnerIsPublisher},
		{"stake to another owner", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(ColdStakePkScript(testLock, OwnerKeyHash(other)))
			return testConf
		}, ErrColdStakeScript},
		{"payload names another owner", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = coldPayload(pub, OwnerKeyHash(other))
			return testConf
		}, ErrColdStakeScript},
		{"stake to the plain script of the owner", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(StakePkScript(testLock, owner))
			return testConf
		}, ErrColdStakeScript},
		{"stake to the plain script of the publisher", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(StakePkScript(testLock, pub))
			return testConf
		}, ErrColdStakeScript},
		{"stake with another lock", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(ColdStakePkScript(testLock+1, ownerHash))
			return testConf
		}, ErrColdStakeScript},
		{"stake as p2wpkh of the owner", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(PublisherScript(owner))
			return testConf
		}, ErrColdStakeScript},
		{"stake bare script", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(ColdStakeScript(testLock, ownerHash))
			return testConf
		}, ErrColdStakeScript},
		{"plain payload on a cold stake", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = encode(t, p.SidechainID, opreturn.NewStake(testLock,
				BuildStakeVout, BuildPublisherVout, pub))
			return testConf
		}, ErrStakeScript},
		{"publisher to the owner", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[2].PkScript = mustScript(PublisherScript(owner))
			return testConf
		}, ErrPublisherScript},
		{"publisher to another key", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = coldPayload(other, ownerHash)
			return testConf
		}, ErrPublisherScript},
		{"stake below min", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].Value = p.MinStakeValue - 1
			return testConf
		}, ErrStakeValue},
		{"lock too late", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			return testLock - p.MaxStakeLock - 1
		}, ErrLockTooLate},
	}
}

// TestColdRegistrationRules checks the cold-owner form: built by
// BuildColdRegistration it parses to a ticket whose stake is locked to
// the owner and whose publisher key is the hot key; every mismatch of
// keys or scripts is refused with its code.
func TestColdRegistrationRules(t *testing.T) {
	_, pub := testKey(1)
	_, owner := testKey(3)
	for _, c := range coldCases(t, testParams()) {
		t.Run(c.name, func(t *testing.T) {
			p := testParams()
			tx := buildColdTest(t, p)
			conf := int32(testConf)
			if c.mutate != nil {
				conf = c.mutate(tx, p)
			}
			reg, err := ParseRegistration(tx, conf, p)
			if c.code >= 0 {
				if reg != nil {
					t.Errorf("registration %+v with error", reg)
				}
				requireCode(t, err, c.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reg.Cold || reg.OwnerKeyHash != OwnerKeyHash(owner) || !reg.PubKey.IsEqual(pub) {
				t.Fatalf("registration %+v", reg)
			}
			if !reg.OwnedBy(owner) || reg.OwnedBy(pub) {
				t.Fatal("the stake is not the owner's alone")
			}
			want := mustScript(ColdStakePkScript(testLock, OwnerKeyHash(owner)))
			if !bytes.Equal(tx.TxOut[reg.Stake.Index].PkScript, want) {
				t.Fatal("wrong stake output")
			}
			if len(tx.TxOut[0].PkScript) != 2+opreturn.ColdStakeLen {
				t.Fatalf("payload script of %d bytes", len(tx.TxOut[0].PkScript))
			}
		})
	}

	p := testParams()
	_, err := BuildColdRegistration(p, testStake, testLock, pub, pub, testPub)
	requireCode(t, err, ErrOwnerIsPublisher)
	_, err = BuildColdRegistration(p, testStake, testLock, pub, nil, testPub)
	requireCode(t, err, ErrInvalidArgument)
}

// TestColdTicketRecord checks that the index keeps a cold ticket's owner
// key hash, and reads a plain record as before.
func TestColdTicketRecord(t *testing.T) {
	p := testParams()
	for _, tx := range []*wire.MsgTx{buildTest(t, p), buildColdTest(t, p)} {
		reg, err := ParseRegistration(tx, testConf, p)
		if err != nil {
			t.Fatal(err)
		}
		tk := &Ticket{ID: 7, Registration: *reg, TxIndex: 3, Current: reg.Publisher,
			CurrentValue: testPub, End: -1}
		b := tk.encode()
		back, err := decodeTicket(7, b)
		if err != nil {
			t.Fatal(err)
		}
		if back.Cold != reg.Cold || back.OwnerKeyHash != reg.OwnerKeyHash ||
			!back.PubKey.IsEqual(reg.PubKey) || back.Stake != reg.Stake {
			t.Fatalf("decoded %+v, want %+v", back, tk)
		}
		if _, err := decodeTicket(7, b[:len(b)-1]); err == nil {
			t.Fatal("a truncated record decoded")
		}
	}
}

// registerCold returns a funded-looking registration of the cold-owner
// form: publisher key hot, stake locked to owner.
func registerCold(t *testing.T, p *chainparams.Params, hot, owner *btcec.PublicKey, value int64, lock uint32) *wire.MsgTx {
	tx, err := BuildColdRegistration(p, value, lock, hot, owner, p.DustLimit)
	if err != nil {
		t.Fatal(err)
	}
	dummyIn++
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: dummyIn}, nil, nil))
	return tx
}

// TestIndexColdTickets connects blocks with registrations of both forms
// and broken cold ones: the index makes tickets of the valid ones, keeps
// the cold owner through a restart and a rollback, rejects the broken ones
// with their codes, and a cold ticket's publisher chain follows its hot
// key.
func TestIndexColdTickets(t *testing.T) {
	c := newTestChain(t)
	hot, _ := btcec.NewPrivateKey()
	owner, _ := btcec.NewPrivateKey()
	plain, _ := btcec.NewPrivateKey()
	c.connect()

	sameKey := registerCold(t, c.p, hot.PubKey(), owner.PubKey(), 100_000, 400)
	h := OwnerKeyHash(hot.PubKey())
	sameKey.TxOut[0].PkScript = encode(t, c.p.SidechainID, opreturn.NewColdStake(400,
		BuildStakeVout, BuildPublisherVout, hot.PubKey(), h))
	sameKey.TxOut[1].PkScript = mustScript(ColdStakePkScript(400, h))
	elsewhere := registerCold(t, c.p, hot.PubKey(), owner.PubKey(), 100_000, 400)
	elsewhere.TxOut[1].PkScript = mustScript(StakePkScript(400, hot.PubKey()))

	res := c.connect(
		registerCold(t, c.p, hot.PubKey(), owner.PubKey(), 200_000, 400),
		register(t, c.p, plain, 100_000, 400),
		sameKey, elsewhere,
	)
	if len(res.NewTickets) != 2 || len(res.Rejected) != 2 ||
		!IsErrorCode(res.Rejected[0].Err, ErrOwnerIsPublisher) ||
		!IsErrorCode(res.Rejected[1].Err, ErrColdStakeScript) {
		t.Fatalf("block of registrations: %+v", res)
	}
	cold := c.ticket(0)
	if !cold.Cold || cold.OwnerKeyHash != OwnerKeyHash(owner.PubKey()) ||
		!cold.PubKey.IsEqual(hot.PubKey()) || c.ticket(1).Cold {
		t.Fatalf("tickets %+v, %+v", cold, c.ticket(1))
	}

	// The cold ticket's headers spend and pay its hot key's outputs.
	for i := 0; i < 6; i++ {
		if res.Winner == nil {
			t.Fatalf("block %d: no winner", res.Height)
		}
		w := c.ticket(res.Winner.Ticket)
		hdr := ticketHeaderTx(t, c.p, w, chainhash.Hash{byte(i)})
		res = c.connect(hdr)
		if res.Publication == nil || res.Publication.Ticket != w.ID {
			t.Fatalf("block %d: publication %+v of ticket %d", res.Height, res.Publication, w.ID)
		}
	}
	if c.ticket(0).Current == cold.Publisher && c.ticket(1).Current == c.ticket(1).Publisher {
		t.Fatal("no publisher chain moved")
	}

	// Rebuilt from the store, the index knows the cold owner.
	fresh, err := NewIndex(c.db, c.p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	if fresh.TotalWeight() != c.x.TotalWeight() {
		t.Fatal("rebuilt index differs")
	}
	for i := 0; i < 7; i++ {
		c.disconnect()
	}
	if total, _ := c.x.TicketCounts(); total != 0 {
		t.Fatalf("%d tickets after undoing their block", total)
	}
}
