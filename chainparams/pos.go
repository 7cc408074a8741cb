package chainparams

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// PosPreset names the set of proof-of-stake constants a network uses for
// what PosParams does not list (the registry's churn and delays, committee
// sizes, the rewards' weights): pos/chain maps it to the leaf packages'
// presets.
type PosPreset uint8

// The presets.
const (
	// PosDevnet: 8 slots per epoch, small committees, short delays, so
	// that a test network activates, finalizes, exits and withdraws
	// within minutes.
	PosDevnet PosPreset = iota + 1

	// PosMainnetPreset: Ethereum's mainnet constants, 32 slots per
	// epoch.
	PosMainnetPreset
)

// String names the preset.
func (p PosPreset) String() string {
	switch p {
	case PosDevnet:
		return "devnet"
	case PosMainnetPreset:
		return "mainnet"
	}
	return fmt.Sprintf("preset(%d)", uint8(p))
}

// slotsPerEpoch is the preset's SLOTS_PER_EPOCH.
func (p PosPreset) slotsPerEpoch() uint64 {
	switch p {
	case PosDevnet:
		return 8
	case PosMainnetPreset:
		return 32
	}
	return 0
}

// PosValidator is a validator of a pos network's genesis: active from
// epoch 0 with Balance staked.
type PosValidator struct {
	// PublicKey is the compressed BLS12-381 key (48 bytes) that signs
	// its proposals and votes.
	PublicKey [48]byte

	// WithdrawalScript is the sidechain output script its coins and
	// claimed rewards are paid to (its owner's).
	WithdrawalScript []byte

	// Balance is the stake in satoshis.
	Balance uint64
}

// PosParams are the pos engine's parameters (design §9.2).
type PosParams struct {
	Preset PosPreset

	// SlotDuration is the length of a slot; SlotsPerEpoch must be the
	// preset's.
	SlotDuration  time.Duration
	SlotsPerEpoch uint64

	// GenesisTime is the start of slot 0, in Unix seconds.
	GenesisTime int64

	// Validators is the genesis validator set, in index order.
	Validators []PosValidator
}

// maxPosWithdrawalScript bounds a genesis withdrawal script, as the
// registry bounds a deposit's.
const maxPosWithdrawalScript = 10_000

// Check reports parameters no chain can follow: an unknown preset, slots
// per epoch other than the preset's, a slot that is not a positive whole
// number of milliseconds, no genesis validator, a zero or repeated public
// key, an empty or oversized withdrawal script, or a zero balance. Keys
// are checked against the curve by the engine (pos/chain), which needs
// the BLS library.
func (p *PosParams) Check() error {
	if p.Preset.slotsPerEpoch() == 0 {
		return fmt.Errorf("unknown pos preset %v", p.Preset)
	}
	if p.SlotsPerEpoch != p.Preset.slotsPerEpoch() {
		return fmt.Errorf("%d slots per epoch; the %v preset has %d",
			p.SlotsPerEpoch, p.Preset, p.Preset.slotsPerEpoch())
	}
	if p.SlotDuration <= 0 || p.SlotDuration%time.Millisecond != 0 {
		return fmt.Errorf("slot duration %v is not a positive whole "+
			"number of milliseconds", p.SlotDuration)
	}
	if len(p.Validators) == 0 {
		return errors.New("pos genesis has no validator")
	}
	seen := make(map[[48]byte]bool, len(p.Validators))
	for i, v := range p.Validators {
		switch {
		case v.PublicKey == [48]byte{}:
			return fmt.Errorf("genesis validator %d has no public key", i)
		case seen[v.PublicKey]:
			return fmt.Errorf("genesis validator %d repeats a public "+
				"key", i)
		case len(v.WithdrawalScript) == 0 ||
			len(v.WithdrawalScript) > maxPosWithdrawalScript:
			return fmt.Errorf("genesis validator %d: withdrawal script "+
				"of %d bytes, want 1 to %d", i,
				len(v.WithdrawalScript), maxPosWithdrawalScript)
		case v.Balance == 0:
			return fmt.Errorf("genesis validator %d has no balance", i)
		}
		seen[v.PublicKey] = true
	}
	return nil
}

// SlotAt returns the slot in progress at t, and false before genesis.
func (p *PosParams) SlotAt(t time.Time) (uint64, bool) {
	d := t.Sub(time.Unix(p.GenesisTime, 0))
	if d < 0 {
		return 0, false
	}
	return uint64(d / p.SlotDuration), true
}

// SlotStart returns when slot begins.
func (p *PosParams) SlotStart(slot uint64) time.Time {
	return time.Unix(p.GenesisTime, 0).Add(time.Duration(slot) * p.SlotDuration)
}

// writeDigest appends the pos parameters to an engine digest: the preset,
// the slot duration in nanoseconds, the slots per epoch, the genesis time,
// the validator count (4 bytes), then each validator's key, script length
// (2 bytes) and script, and balance, all big-endian.
func (p *PosParams) writeDigest(b *bytes.Buffer) {
	w := func(v any) { _ = binary.Write(b, binary.BigEndian, v) }
	w(uint8(p.Preset))
	w(int64(p.SlotDuration))
	w(p.SlotsPerEpoch)
	w(p.GenesisTime)
	w(uint32(len(p.Validators)))
	for _, v := range p.Validators {
		b.Write(v.PublicKey[:])
		w(uint16(len(v.WithdrawalScript)))
		b.Write(v.WithdrawalScript)
		w(v.Balance)
	}
}

// posGenesisTag starts what a pos network's genesis id hashes.
const posGenesisTag = "sidenode pos genesis v1"

// posGenesisID is the genesis id of a pos network: SHA256d of
// posGenesisTag, the sidechain id (4 bytes, big-endian), the engine digest
// and the mainchain's genesis hash. The engine digest commits to the
// genesis validators, so the id names the genesis state.
func (p *Params) posGenesisID() (chainhash.Hash, error) {
	if p.Pos == nil {
		return chainhash.Hash{}, fmt.Errorf("network %s: pos engine "+
			"without parameters", p.Name)
	}
	if err := p.Pos.Check(); err != nil {
		return chainhash.Hash{}, fmt.Errorf("network %s: %w", p.Name, err)
	}
	var b bytes.Buffer
	b.WriteString(posGenesisTag)
	_ = binary.Write(&b, binary.BigEndian, p.SidechainID)
	d := p.EngineDigest()
	b.Write(d[:])
	b.Write(p.Main.GenesisHash[:])
	return chainhash.DoubleHashH(b.Bytes()), nil
}

// DevValidatorKeyMaterial returns the BLS key material of validator i of
// the pos test networks' genesis: SHA256("sidenode dev validator " ‖ i), i
// in decimal. pos/chain.DevValidatorKey turns it into the secret key (the
// IETF KeyGen), so that tests and scripts/devnet can give each node its
// key. These keys are public knowledge; no network with value may use
// them.
func DevValidatorKeyMaterial(i int) [32]byte {
	return sha256.Sum256([]byte(fmt.Sprintf("sidenode dev validator %d", i)))
}

// DevValidatorOwnerKey returns the secp256k1 key that owns dev validator
// i's withdrawals: the scalar SHA256("sidenode dev validator owner " ‖ i).
// Public knowledge, as DevValidatorKeyMaterial.
func DevValidatorOwnerKey(i int) *btcec.PrivateKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("sidenode dev validator owner %d", i)))
	priv, _ := btcec.PrivKeyFromBytes(seed[:])
	return priv
}

// devValidatorPubKeys are the BLS public keys of DevValidatorKeyMaterial(0
// to 3) (pos/chain's tests check them).
var devValidatorPubKeys = []string{
	"8686f996eb8433dcc6e6d746d42d368b5fcebea1bca5ac790fd0f67cea4fd288e87f0ea7e8086293ea51161e02438c5c",
	"8e808c66a77c33acaa5419902cb329d6e45bbb617c0b9e540ff74a955cdb8f0e9a20a4fd75a44271e33979be93e577a2",
	"a13ae0272ad8e563548c523cca3611d7aa72f2465eaaa18286f0b2e0df9b1f77c40b788269ba16125bebe7a64746421f",
	"b75709424f78383baa25b7dfb709d8bdc34bb8fb978e1e47dc32c63db0262c7340de180a3d0fb3762135d6b0ed8c098b",
}

// DevValidatorCount is the size of the pos test networks' genesis set.
const DevValidatorCount = 4

// devValidatorBalance is each dev validator's genesis stake: 32 coins,
// the presets' maximum effective balance.
const devValidatorBalance = 32 * 100_000_000

// devValidators returns the pos test networks' genesis set: the four dev
// validators, each staking 32 coins, withdrawing to P2WPKH of its owner
// key.
func devValidators() []PosValidator {
	out := make([]PosValidator, DevValidatorCount)
	for i := range out {
		pk, err := hex.DecodeString(devValidatorPubKeys[i])
		if err != nil || len(pk) != 48 {
			panic("chainparams: bad dev validator key")
		}
		copy(out[i].PublicKey[:], pk)
		h := btcutil.Hash160(DevValidatorOwnerKey(i).PubKey().SerializeCompressed())
		script, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(h).Script()
		if err != nil {
			panic(err)
		}
		out[i].WithdrawalScript = script
		out[i].Balance = devValidatorBalance
	}
	return out
}

// posRegtestGenesisTime is the pos test networks' slot 0: the pow test
// networks' genesis time. The clock counts slots from it; a node started
// later starts at the slot of its clock (empty slots cost nothing).
const posRegtestGenesisTime = powRegtestGenesisTime

func posLike(name string, net wire.BitcoinNet, id uint32, preset PosPreset, slot time.Duration) Params {
	p := devLike(name, &chaincfg.RegressionNetParams, net)
	p.SidechainID = id
	p.Engine = PoS
	p.Pos = &PosParams{
		Preset:        preset,
		SlotDuration:  slot,
		SlotsPerEpoch: preset.slotsPerEpoch(),
		GenesisTime:   posRegtestGenesisTime,
		Validators:    devValidators(),
	}
	return p
}

// PosRegtest parameters: the pos engine's devnet on the regtest
// mainchain: 1 s slots, 8 slots per epoch, the four dev validators
// (--network=posregtest; the node's --pos.genesistime gives a devnet its
// own slot 0, see PosRegtestAt).
var PosRegtest = posLike("posregtest", 0x505350fa, 0x00000d10, PosDevnet, time.Second)

// PosMainlike parameters: the pos engine with mainnet's timing (12 s
// slots, 32 per epoch) and preset, on the regtest mainchain, with the four
// dev validators. Not yet a --network, as PosRegtest.
var PosMainlike = posLike("posmainlike", 0x505351fa, 0x00000d11, PosMainnetPreset, 12*time.Second)

// PosRegtestAt returns posregtest with slot 0 at genesisTime (Unix
// seconds): a devnet of its own, with its own engine digest and genesis
// id, for tests and scripts/devnet, which start a fresh chain now rather
// than slots and epochs after the fixed genesis time. Every node of such a
// devnet must be given the same time.
func PosRegtestAt(genesisTime int64) Params {
	p := PosRegtest
	pp := *PosRegtest.Pos
	pp.Validators = devValidators()
	pp.GenesisTime = genesisTime
	p.Pos = &pp
	return p
}
