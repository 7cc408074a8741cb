package chainparams

import (
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

// Params are the protocol parameters of one network.
type Params struct {
	// Name is the network name used in config and data dirs.
	Name string

	// Main is the Bitcoin mainchain the sidechain is anchored to.
	Main *chaincfg.Params

	// Side holds the sidechain's own address parameters (bech32 HRP and
	// base58 prefixes), so that sidechain addresses are never confused
	// with mainchain ones. Only the address fields and Net are meaningful.
	Side *chaincfg.Params

	// Engine is the sidechain's consensus engine; the zero value is
	// Mainstake. Pow holds the pow engine's parameters and is nil under
	// any other engine. Both are part of the genesis (GenesisID).
	Engine Engine
	Pow    *PowParams

	// SidechainID tags every protocol OP_RETURN; it is never zero.
	SidechainID uint32

	// MinStakeValue is the smallest stake output, in satoshis.
	MinStakeValue int64

	// MinStakeLock and MaxStakeLock bound lock height − confirmation
	// height of a stake, in mainchain blocks.
	MinStakeLock int32
	MaxStakeLock int32

	// StakeMaturity is how many confirmations a ticket needs before it
	// can win: eligible from conf + StakeMaturity − 1.
	StakeMaturity int32

	// DustLimit is the smallest output value protocol transactions create
	// and the smallest deposit that is minted.
	DustLimit int64

	// SideSubsidy is the sidechain coinbase's new coins per block.
	SideSubsidy int64

	// DepositConfirmations is how deep a deposit must be before it is
	// minted.
	DepositConfirmations int32

	// Federation and peg parameters (design §8).
	FederationSize          int
	PegEpochLength          int32
	PegGraceBlocks          int32
	SideWithdrawalDepth     int32
	WithdrawalConfirmations int32
	PegRatePeriod           int32
	PegRateLimit            int64

	// PegBumpInterval is how many mainchain blocks a pegbox spend (payout
	// or rotation) may wait unconfirmed before the federation replaces it
	// with one paying a higher fee; PegMaxBumpFee caps what bumps add to
	// one spend's fee, in satoshis.
	PegBumpInterval int32
	PegMaxBumpFee   int64

	// PegRotationFeeRate is the fee rate of a rotation, in sat/vB, before
	// any bump. Every member must build the same rotation, so the rate is
	// a parameter, not an estimate.
	PegRotationFeeRate int64

	// Notary holds the dPoW parameters (design §9.3): the notary seasons,
	// the notarization interval and depth, the mainchain confirmations a
	// notarization needs and the alarm ages. Nil: the network has no
	// notary set. When set, they are part of the engine digest.
	Notary *NotaryParams
}

// sideParams derives the sidechain's address parameters from a mainchain's,
// with its own bech32 HRP and base58 prefixes.
func sideParams(main *chaincfg.Params, hrp string, net wire.BitcoinNet) *chaincfg.Params {
	p := *main
	p.Name = main.Name + "-side"
	p.Net = net
	p.Bech32HRPSegwit = hrp
	p.PubKeyHashAddrID = 0x3f // 'S' for base58 addresses
	p.ScriptHashAddrID = 0x7d // 's'
	p.PrivateKeyID = 0xbf
	return &p
}

// Mainnet parameters: about a day to a year of stake lock.
var Mainnet = Params{
	Name:                    "mainnet",
	Main:                    &chaincfg.MainNetParams,
	Side:                    sideParams(&chaincfg.MainNetParams, "sms", 0x5053534d),
	SidechainID:             0x00000001,
	MinStakeValue:           1_000_000,
	MinStakeLock:            144,
	MaxStakeLock:            52_560,
	StakeMaturity:           6,
	DustLimit:               546,
	SideSubsidy:             0,
	DepositConfirmations:    6,
	FederationSize:          15,
	PegEpochLength:          2016,
	PegGraceBlocks:          144,
	SideWithdrawalDepth:     6,
	WithdrawalConfirmations: 6,
	PegRatePeriod:           144,
	PegRateLimit:            10_000_000_000,
	PegBumpInterval:         6,
	PegMaxBumpFee:           1_000_000,
	PegRotationFeeRate:      10,
}

// Testnet3 parameters.
var Testnet3 = testLike(Mainnet, "testnet3", &chaincfg.TestNet3Params, "tms", 0x5053540b)

// Signet parameters.
var Signet = testLike(Mainnet, "signet", &chaincfg.SigNetParams, "tms", 0x50535340)

// Regtest parameters: small numbers so tests reach every rule quickly.
var Regtest = devLike("regtest", &chaincfg.RegressionNetParams, 0x505352fa)

// Simnet parameters, as regtest.
var Simnet = devLike("simnet", &chaincfg.SimNetParams, 0x505353fa)

func testLike(base Params, name string, main *chaincfg.Params, hrp string, net wire.BitcoinNet) Params {
	p := base
	p.Name = name
	p.Main = main
	p.Side = sideParams(main, hrp, net)
	p.MinStakeValue = 10_000
	return p
}

func devLike(name string, main *chaincfg.Params, net wire.BitcoinNet) Params {
	return Params{
		Name:          name,
		Main:          main,
		Side:          sideParams(main, "sdrt", net),
		SidechainID:   0x00000d07,
		MinStakeValue: 10_000,
		MinStakeLock:  10,
		MaxStakeLock:  5_000,
		StakeMaturity: 1,
		DustLimit:     546,
		// A subsidy on the test networks only, so that the devnet and the
		// tests have sidechain coins before the peg exists. The peg's
		// supply audit counts it.
		SideSubsidy:             DevSideSubsidy,
		DepositConfirmations:    2,
		FederationSize:          4, // threshold 3: one member may be offline
		PegEpochLength:          50,
		PegGraceBlocks:          10,
		SideWithdrawalDepth:     2,
		WithdrawalConfirmations: 2,
		PegRatePeriod:           20,
		PegRateLimit:            100_000_000_000,
		PegBumpInterval:         2,
		PegMaxBumpFee:           100_000,
		PegRotationFeeRate:      2,
	}
}

// DevSideSubsidy is the sideblock subsidy of regtest and simnet: 0.5 BTC.
// Mainnet, testnet3 and signet have none: every sidechain coin there is a
// deposit.
const DevSideSubsidy = 50_000_000

// PowRegtest parameters: the pow engine on the regtest mainchain, with a
// 2 s ideal block time and the easiest pow limit (2^255 − 1: every other
// hash meets it), so a CPU mines it at once. Era 0 is the genesis block;
// era 1 re-anchors the ASERT schedule at height 2 on the time of block 1,
// because the genesis timestamp is fixed long before anyone starts the
// chain, and a schedule from it would leave the chain years behind.
var PowRegtest = powLike("powregtest", 0x505370fa, 0x00000d08, []PowEra{
	powRegtestEra(0, SHA256d, powRegtestGenesisTime-2),
	powRegtestEra(2, SHA256d, 0),
})

// PowSwitchtest parameters: powregtest with the algorithm switches the
// tests exercise, RandomX from height 20 and Ethash from height 40, each
// with a new anchor and its own initial bits. It is a test network
// (--network=powswitchtest): mining RandomX and Ethash on a CPU in light
// mode is slow, which its easy pow limit makes up for.
var PowSwitchtest = powLike("powswitchtest", 0x505371fa, 0x00000d09, []PowEra{
	powRegtestEra(0, SHA256d, powRegtestGenesisTime-2),
	powRegtestEra(2, SHA256d, 0),
	powRegtestEra(20, RandomX, 0),
	powRegtestEra(40, Ethash, 0),
})

// powRegtestGenesisTime is the timestamp of the pow test networks' genesis
// blocks: 2026-05-28 20:26:40 UTC.
const powRegtestGenesisTime = 1_780_000_000

// powRegtestLimit is the pow test networks' pow limit, 2^255 − 1, as
// Bitcoin's regtest; its compact form 0x207fffff is the initial bits.
var powRegtestLimit = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(1))

func powRegtestEra(from int32, algo PowAlgorithm, anchorParentTime int64) PowEra {
	return PowEra{
		FromHeight:       from,
		Algorithm:        algo,
		AnchorParentTime: anchorParentTime,
		Bits:             0x207fffff,
		HalfLife:         120,
		IdealBlockTime:   2,
		PowLimit:         powRegtestLimit,
	}
}

func powLike(name string, net wire.BitcoinNet, id uint32, schedule []PowEra) Params {
	p := devLike(name, &chaincfg.RegressionNetParams, net)
	p.SidechainID = id
	p.Engine = PoW
	p.Pow = &PowParams{
		Schedule:           schedule,
		MainRefDepth:       1,
		MaxFutureBlockTime: 2 * time.Minute,
		GenesisTime:        powRegtestGenesisTime,
	}
	return p
}

// DpowRegtest parameters: regtest under mainstake with the test networks'
// notary set (five DevNotaryKey notaries, threshold 3; see
// devNotaryParams): --network=dpowregtest.
var DpowRegtest = dpowLike(devLike("dpowregtest", &chaincfg.RegressionNetParams, 0x505364fa), 0x00000d64)

// PowDpowRegtest parameters: powregtest's engine and schedule with the test
// networks' notary set: --network=powdpowregtest.
var PowDpowRegtest = dpowLike(powLike("powdpowregtest", 0x505365fa, 0x00000d65, []PowEra{
	powRegtestEra(0, SHA256d, powRegtestGenesisTime-2),
	powRegtestEra(2, SHA256d, 0),
}), 0x00000d65)

func dpowLike(p Params, id uint32) Params {
	p.SidechainID = id
	p.Notary = devNotaryParams()
	return p
}

// All returns every network's parameters, in the order the --network
// help lists them.
func All() []*Params {
	return []*Params{&Mainnet, &Testnet3, &Signet, &Regtest, &Simnet,
		&PowRegtest, &PowSwitchtest, &DpowRegtest, &PowDpowRegtest}
}

// ByName returns the parameters of a network name.
func ByName(name string) (*Params, error) {
	for _, p := range All() {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown network %q", name)
}
