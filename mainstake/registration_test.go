package mainstake

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
)

// Fixed values of the test registration on regtest.
const (
	testConf  = 1000
	testLock  = testConf + 100
	testStake = 25_000
	testPub   = 5_000
)

// testParams returns a copy of the regtest parameters.
func testParams() *chainparams.Params {
	p := chainparams.Regtest
	return &p
}

// buildTest returns a registration built by BuildRegistration.
func buildTest(t testing.TB, p *chainparams.Params) *wire.MsgTx {
	t.Helper()
	_, pub := testKey(1)
	tx, err := BuildRegistration(p, testStake, testLock, pub, testPub)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// mustScript returns s, and panics on err: it wraps the script functions
// of this package in tests, where an error is a bug in the test.
func mustScript(s []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return s
}

func encode(t testing.TB, id uint32, p opreturn.Payload) []byte {
	t.Helper()
	s, err := opreturn.Encode(id, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRegistrationRoundTrip(t *testing.T) {
	p := testParams()
	_, pub := testKey(1)
	tx := buildTest(t, p)

	if len(tx.TxOut) != 4 || len(tx.TxIn) != 0 || tx.Version != 2 {
		t.Fatalf("unexpected shape: %d in, %d out, version %d",
			len(tx.TxIn), len(tx.TxOut), tx.Version)
	}
	reg, err := ParseRegistration(tx, testConf, p)
	if err != nil {
		t.Fatal(err)
	}
	txHash := tx.TxHash()
	want := Registration{
		TxHash:     txHash,
		Stake:      wire.OutPoint{Hash: txHash, Index: BuildStakeVout},
		Value:      testStake,
		LockHeight: testLock,
		PubKey:     pub,
		Publisher:  wire.OutPoint{Hash: txHash, Index: BuildPublisherVout},
		ConfHeight: testConf,
	}
	if reg.TxHash != want.TxHash || reg.Stake != want.Stake ||
		reg.Value != want.Value || reg.LockHeight != want.LockHeight ||
		!reg.PubKey.IsEqual(want.PubKey) || reg.Publisher != want.Publisher ||
		reg.ConfHeight != want.ConfHeight {

		t.Fatalf("got %+v, want %+v", reg, want)
	}
	if tx.TxOut[BuildRegistryVout].Value != p.DustLimit ||
		tx.TxOut[BuildPublisherVout].Value != testPub {
		t.Fatal("output values")
	}

	// Inputs and a change output added by a wallet change nothing.
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 3}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(12345, mustScript(PublisherScript(pub))))
	if _, err := ParseRegistration(tx, testConf, p); err != nil {
		t.Fatal(err)
	}

	// Every network's parameters accept their own registrations.
	for _, name := range []string{"mainnet", "testnet3", "signet",
		"regtest", "simnet"} {

		np, err := chainparams.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		lock := uint32(800_000 + np.MinStakeLock)
		tx, err := BuildRegistration(np, np.MinStakeValue, lock, pub,
			np.DustLimit)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseRegistration(tx, 800_000, np); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// TestParseRegistrationRules has one case per rule: each starts from a
// valid registration and breaks one thing.
func TestParseRegistrationRules(t *testing.T) {
	p := testParams()
	_, pub := testKey(1)
	_, other := testKey(2)
	stakeScript := mustScript(StakePkScript(testLock, pub))
	registry := mustScript(RegistryScript(p.SidechainID))
	otherRegistry := mustScript(RegistryScript(p.SidechainID + 1))
	pubScript := mustScript(PublisherScript(pub))
	p2pkh := func() []byte {
		addr, err := btcutil.NewAddressPubKeyHash(
			btcutil.Hash160(pub.SerializeCompressed()), p.Main)
		if err != nil {
			t.Fatal(err)
		}
		return mustScript(txscript.PayToAddrScript(addr))
	}()
	stakePayload := func(lock uint32, sv, pv uint8) []byte {
		return encode(t, p.SidechainID, opreturn.NewStake(lock, sv, pv, pub))
	}

	tests := []struct {
		name   string
		mutate func(tx *wire.MsgTx, p *chainparams.Params) int32
		code   ErrorCode // -1: accepted
	}{
		{"built", nil, -1},
		{"min lock", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			return testLock - p.MinStakeLock
		}, -1},
		{"max lock", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			return testLock - p.MaxStakeLock
		}, -1},
		{"min value", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			p.MinStakeValue = testStake
			return testConf
		}, -1},
		{"registry exactly dust, twice", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.AddTxOut(wire.NewTxOut(0, registry))
			return testConf
		}, -1},
		{"registry elsewhere", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[3].PkScript = pubScript
			tx.AddTxOut(wire.NewTxOut(10, registry))
			tx.AddTxOut(wire.NewTxOut(p.DustLimit, registry))
			return testConf
		}, -1},
		{"other layout", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0], tx.TxOut[3] = tx.TxOut[3], tx.TxOut[0]
			tx.TxOut[1], tx.TxOut[2] = tx.TxOut[2], tx.TxOut[1]
			tx.TxOut[3].PkScript = stakePayload(testLock, 2, 1)
			return testConf
		}, -1},

		{"no op_return", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = pubScript
			return testConf
		}, ErrNoPayload},
		{"two op_returns", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_RETURN}))
			return testConf
		}, ErrNoPayload},
		{"other sidechain", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			p.SidechainID++
			return testConf
		}, ErrNoPayload},
		{"malformed payload", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = tx.TxOut[0].PkScript[:20]
			return testConf
		}, ErrNoPayload},

		{"header payload", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = encode(t, p.SidechainID,
				&opreturn.Header{})
			return testConf
		}, ErrWrongKind},

		{"time lock", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(MaxLockHeight, 1, 2)
			return testConf
		}, ErrLockNotHeight},
		{"max uint32 lock", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(1<<32-1, 1, 2)
			return testConf
		}, ErrLockNotHeight},

		{"stake vout out of range", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(testLock, 4, 2)
			return testConf
		}, ErrVoutRange},
		{"publisher vout out of range", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(testLock, 1, 255)
			return testConf
		}, ErrVoutRange},

		{"same vouts", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(testLock, 1, 1)
			return testConf
		}, ErrVoutConflict},
		{"stake is op_return", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(testLock, 0, 2)
			return testConf
		}, ErrVoutConflict},
		{"publisher is op_return", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(testLock, 1, 0)
			return testConf
		}, ErrVoutConflict},

		{"stake other lock", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(StakePkScript(testLock+1, pub))
			return testConf
		}, ErrStakeScript},
		{"stake other key", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(StakePkScript(testLock, other))
			return testConf
		}, ErrStakeScript},
		{"stake bare script", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = mustScript(StakeScript(testLock, pub))
			return testConf
		}, ErrStakeScript},
		{"stake p2wpkh", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].PkScript = pubScript
			return testConf
		}, ErrStakeScript},
		{"payload vouts swapped", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[0].PkScript = stakePayload(testLock, 2, 1)
			return testConf
		}, ErrStakeScript},

		{"publisher other key", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[2].PkScript = mustScript(PublisherScript(other))
			return testConf
		}, ErrPublisherScript},
		{"publisher p2pkh", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[2].PkScript = p2pkh
			return testConf
		}, ErrPublisherScript},
		{"publisher is stake script", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[2].PkScript = stakeScript
			return testConf
		}, ErrPublisherScript},

		{"no registry", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut = tx.TxOut[:3]
			return testConf
		}, ErrNoRegistryOutput},
		{"registry below dust", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[3].Value = p.DustLimit - 1
			return testConf
		}, ErrNoRegistryOutput},
		{"other sidechain's registry", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[3].PkScript = otherRegistry
			return testConf
		}, ErrNoRegistryOutput},

		{"stake below min", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			tx.TxOut[1].Value = p.MinStakeValue - 1
			return testConf
		}, ErrStakeValue},

		{"lock too soon", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			return testLock - p.MinStakeLock + 1
		}, ErrLockTooSoon},
		{"lock before conf", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			return testLock + 1
		}, ErrLockTooSoon},
		{"lock too late", func(tx *wire.MsgTx, p *chainparams.Params) int32 {
			return testLock - p.MaxStakeLock - 1
		}, ErrLockTooLate},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			p := testParams()
			tx := buildTest(t, p)
			conf := int32(testConf)
			if test.mutate != nil {
				conf = test.mutate(tx, p)
			}
			reg, err := ParseRegistration(tx, conf, p)
			if test.code < 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(tx.TxOut[reg.Stake.Index].PkScript,
					stakeScript) {
					t.Fatal("wrong stake output")
				}
				return
			}
			if reg != nil {
				t.Errorf("registration %+v with error", reg)
			}
			requireCode(t, err, test.code)
		})
	}

	// The opreturn code stays reachable.
	tx := buildTest(t, p)
	q := testParams()
	q.SidechainID++
	_, err := ParseRegistration(tx, testConf, q)
	if !errors.Is(err, opreturn.ErrWrongSidechain) {
		t.Fatalf("got %v, want opreturn.ErrWrongSidechain inside", err)
	}

	_, err = ParseRegistration(nil, testConf, p)
	requireCode(t, err, ErrInvalidArgument)
	_, err = ParseRegistration(tx, testConf, nil)
	requireCode(t, err, ErrInvalidArgument)
}

func TestCheckLock(t *testing.T) {
	p := testParams()
	tests := []struct {
		lock uint32
		conf int32
		code ErrorCode
	}{
		{110, 100, -1},
		{5100, 100, -1},
		{109, 100, ErrLockTooSoon},
		{0, 100, ErrLockTooSoon},
		{5101, 100, ErrLockTooLate},
		{MaxLockHeight - 1, 0, ErrLockTooLate},
		{MaxLockHeight, int32(MaxLockHeight) - 100, ErrLockNotHeight},
		{5000, -1, ErrLockTooLate},
		{8, -1, ErrLockTooSoon},
		{10, -1, -1},
	}
	for _, test := range tests {
		err := CheckLock(test.lock, test.conf, p)
		if test.code < 0 {
			if err != nil {
				t.Errorf("CheckLock(%d, %d): %v", test.lock,
					test.conf, err)
			}
			continue
		}
		requireCode(t, err, test.code)
	}
	requireCode(t, CheckLock(110, 100, nil), ErrInvalidArgument)
}

func TestBuildRegistrationErrors(t *testing.T) {
	p := testParams()
	_, pub := testKey(1)
	zero := testParams()
	zero.SidechainID = 0

	_, err := BuildRegistration(p, p.MinStakeValue-1, testLock, pub, testPub)
	requireCode(t, err, ErrStakeValue)
	_, err = BuildRegistration(p, testStake, MaxLockHeight, pub, testPub)
	requireCode(t, err, ErrLockNotHeight)
	_, err = BuildRegistration(p, testStake, testLock, nil, testPub)
	requireCode(t, err, ErrInvalidArgument)
	_, err = BuildRegistration(nil, testStake, testLock, pub, testPub)
	requireCode(t, err, ErrInvalidArgument)
	_, err = BuildRegistration(p, testStake, testLock, pub, p.DustLimit-1)
	requireCode(t, err, ErrInvalidArgument)
	_, err = BuildRegistration(zero, testStake, testLock, pub, testPub)
	requireCode(t, err, ErrInvalidArgument)
}

// fundAndSign adds a P2WPKH input worth stake + outputs + fee and a change
// output to tx, signs the input and checks it in btcd's script engine.
func fundAndSign(t *testing.T, tx *wire.MsgTx) {
	t.Helper()
	funder, funderPub := testKey(9)
	fundScript := mustScript(PublisherScript(funderPub))
	var out int64
	for _, o := range tx.TxOut {
		out += o.Value
	}
	const fee, change = 2_000, 100_000
	fundValue := out + fee + change
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: hashOf("funding")}, nil,
		nil))
	tx.AddTxOut(wire.NewTxOut(change, fundScript))

	fetcher := txscript.NewCannedPrevOutputFetcher(fundScript, fundValue)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	wit, err := txscript.WitnessSignature(tx, hashes, 0, fundValue,
		fundScript, txscript.SigHashAll, funder, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = wit
	vm, err := txscript.NewEngine(fundScript, tx, 0,
		txscript.StandardVerifyFlags, nil, hashes, fundValue, fetcher)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Execute(); err != nil {
		t.Fatalf("funding input: %v", err)
	}
}

// TestRegistrationStandard checks that a signed registration built here
// is standard under btcd's default policy: one OP_RETURN of at most 80
// bytes, no dust, known script forms.
func TestRegistrationStandard(t *testing.T) {
	for _, name := range []string{"mainnet", "regtest"} {
		p, err := chainparams.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		_, pub := testKey(1)
		tx, err := BuildRegistration(p, p.MinStakeValue,
			800_000+uint32(p.MaxStakeLock), pub, p.DustLimit)
		if err != nil {
			t.Fatal(err)
		}
		fundAndSign(t, tx)
		if err := checkStandard(tx); err != nil {
			t.Fatalf("%s: not standard: %v", name, err)
		}
		if _, err := ParseRegistration(tx, 800_000, p); err != nil {
			t.Fatalf("%s: signed registration: %v", name, err)
		}
		if n := len(tx.TxOut[BuildOpReturnVout].PkScript); n > 83 {
			t.Fatalf("OP_RETURN script is %d bytes", n)
		}
		for i, out := range tx.TxOut {
			if i != BuildOpReturnVout &&
				isDust(out, defaultMinRelayTxFee) {
				t.Fatalf("output %d is dust", i)
			}
		}
	}

	// The check has teeth: a registry output below btcd's P2TR dust
	// threshold (330) and a second OP_RETURN are both refused.
	p := testParams()
	tx := buildTest(t, p)
	tx.TxOut[BuildRegistryVout].Value = 329
	fundAndSign(t, tx)
	if err := checkStandard(tx); err == nil {
		t.Fatal("dust registry output passed the policy check")
	}
	tx = buildTest(t, p)
	tx.AddTxOut(wire.NewTxOut(0, tx.TxOut[0].PkScript))
	fundAndSign(t, tx)
	if err := checkStandard(tx); err == nil {
		t.Fatal("two OP_RETURNs passed the policy check")
	}
}
