package chain

import (
	"fmt"
	"sync"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/ffg"
	"github.com/mainstake/sidenode/pos/forkchoice"
	"github.com/mainstake/sidenode/pos/registry"
	"github.com/mainstake/sidenode/pos/selection"
	"github.com/mainstake/sidenode/pos/slashing"
)

// coin is one coin in satoshis.
const coin = 100_000_000

// Block limits (phase0's MAX_ATTESTATIONS, MAX_PROPOSER_SLASHINGS and
// MAX_ATTESTER_SLASHINGS).
const (
	MaxAttestations      = 128
	MaxProposerSlashings = 16
	MaxAttesterSlashings = 2
)

// DomainRandao is DOMAIN_RANDAO: the domain type of RANDAO reveals.
var DomainRandao = slashing.DomainType{2, 0, 0, 0}

// Config is everything the state transition reads: the network and the
// leaf packages' constants for its preset.
type Config struct {
	Net *chainparams.Params

	Selection  selection.Params
	Registry   registry.Params
	FFG        ffg.Params
	ForkChoice forkchoice.Config

	// SlotsPerHistoricalRoot is the length of the ring of block roots the
	// state keeps (checkpoint and head roots of attestations).
	SlotsPerHistoricalRoot uint64

	// MinSlashingPenaltyQuotient and WhistleblowerRewardQuotient are
	// phase0's MIN_SLASHING_PENALTY_QUOTIENT and
	// WHISTLEBLOWER_REWARD_QUOTIENT; ProportionalSlashingMultiplier is
	// PROPORTIONAL_SLASHING_MULTIPLIER (Bellatrix: 3).
	MinSlashingPenaltyQuotient     uint64
	WhistleblowerRewardQuotient    uint64
	ProportionalSlashingMultiplier uint64

	// The signature domains: the fork version 0 and the network's
	// genesis id as the genesis validators root.
	ProposerDomain, AttesterDomain, RandaoDomain, DepositDomain, ExitDomain slashing.Domain

	genesisID slashing.Root

	// keys caches parsed public keys by their encoding.
	keys sync.Map
}

// NewConfig returns the configuration of a pos network. It fails for a
// network of another engine and for parameters the leaf packages refuse,
// including a genesis key that is not a point of the curve.
func NewConfig(net *chainparams.Params) (*Config, error) {
	if net.Engine != chainparams.PoS || net.Pos == nil {
		return nil, fmt.Errorf("network %s does not run the pos engine", net.Name)
	}
	id, err := net.GenesisID()
	if err != nil {
		return nil, err
	}
	c := &Config{
		Net:                            net,
		FFG:                            ffg.Altair,
		ForkChoice:                     forkchoice.Config{SlotsPerEpoch: net.Pos.SlotsPerEpoch, ProposerScoreBoost: forkchoice.ProposerScoreBoost},
		MinSlashingPenaltyQuotient:     32,
		WhistleblowerRewardQuotient:    512,
		ProportionalSlashingMultiplier: 3,
		genesisID:                      slashing.Root(id),
	}
	// Balances are in satoshis: an increment is one coin.
	c.FFG.EffectiveBalanceIncrement = coin
	switch net.Pos.Preset {
	case chainparams.PosDevnet:
		c.Registry = registry.Devnet
		c.Selection = selection.Params{
			ShuffleRoundCount: 10, SlotsPerEpoch: 8, TargetCommitteeSize: 4,
			MaxCommitteesPerSlot: 4, EpochsPerHistoricalVector: mixRingLen,
			MinSeedLookahead: 1,
		}
	case chainparams.PosMainnetPreset:
		c.Registry = registry.Mainnet
		c.Selection = selection.Params{
			ShuffleRoundCount: 90, SlotsPerEpoch: 32, TargetCommitteeSize: 128,
			MaxCommitteesPerSlot: 64, EpochsPerHistoricalVector: mixRingLen,
			MinSeedLookahead: 1,
		}
	default:
		return nil, fmt.Errorf("network %s: unknown pos preset %v", net.Name, net.Pos.Preset)
	}
	c.Selection.MaxEffectiveBalance = c.Registry.MaxEffectiveBalance
	c.SlotsPerHistoricalRoot = 4 * net.Pos.SlotsPerEpoch
	if err := c.Selection.Check(); err != nil {
		return nil, err
	}
	if err := c.Registry.Check(); err != nil {
		return nil, err
	}
	if err := c.FFG.Check(); err != nil {
		return nil, err
	}
	for i, v := range net.Pos.Validators {
		if _, err := bls.PublicKeyFromBytes(v.PublicKey[:]); err != nil {
			return nil, fmt.Errorf("network %s: genesis validator %d: %w", net.Name, i, err)
		}
	}
	var fork [4]byte
	c.ProposerDomain = slashing.ComputeDomain(slashing.DomainBeaconProposer, fork, c.genesisID)
	c.AttesterDomain = slashing.ComputeDomain(slashing.DomainBeaconAttester, fork, c.genesisID)
	c.RandaoDomain = slashing.ComputeDomain(DomainRandao, fork, c.genesisID)
	c.DepositDomain = slashing.ComputeDomain(DomainDeposit, fork, c.genesisID)
	c.ExitDomain = slashing.ComputeDomain(DomainVoluntaryExit, fork, c.genesisID)
	return c, nil
}

// SlotsPerEpoch is the network's SLOTS_PER_EPOCH.
func (c *Config) SlotsPerEpoch() uint64 { return c.Net.Pos.SlotsPerEpoch }

// EpochOf returns the epoch of slot.
func (c *Config) EpochOf(slot uint64) uint64 { return slot / c.SlotsPerEpoch() }

// EpochStart returns the first slot of epoch.
func (c *Config) EpochStart(epoch uint64) uint64 { return epoch * c.SlotsPerEpoch() }

// DevValidatorKey returns the BLS secret key of dev validator i of the pos
// test networks (chainparams.DevValidatorKeyMaterial through KeyGen).
func DevValidatorKey(i int) (*bls.SecretKey, error) {
	m := chainparams.DevValidatorKeyMaterial(i)
	return bls.GenerateKey(m[:])
}
