package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/mainwatch/btcdwatch"
	"github.com/mainstake/sidenode/notarize"
	notaryrun "github.com/mainstake/sidenode/notarize/notary"
	"github.com/mainstake/sidenode/notarize/round"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/wallet"
)

// newRoundRelay returns the round messages' relay of a network with
// notaries (docs/protocol.md §13.5), nil on one without.
func newRoundRelay(params *chainparams.Params, side *sideblock.Chain) (*notaryrun.Relay, error) {
	if params.Notary == nil {
		return nil, nil
	}
	return notaryrun.NewRelay(notaryrun.RelayConfig{Params: params, TipHeight: func() int32 {
		_, h, ok := side.Tip()
		if !ok {
			return -1
		}
		return h
	}})
}

// importDevNotaryKeys imports --notarydevkey's keys into the wallet, on a
// network whose notary set holds them (the test networks).
func importDevNotaryKeys(cfg *Config, params *chainparams.Params, wlt *wallet.Wallet) error {
	if len(cfg.NotaryDevKey) == 0 {
		return nil
	}
	if wlt == nil {
		return errors.New("--notarydevkey needs the node's wallet (--wallet.unlockpasswordfile)")
	}
	for _, s := range cfg.NotaryDevKey {
		i, err := strconv.Atoi(s)
		if err != nil {
			continue // the empty value; validateNotary refused the rest
		}
		key := chainparams.DevNotaryKey(i)
		var pub [33]byte
		copy(pub[:], key.PubKey().SerializeCompressed())
		if !hasNotaryKey(params.Notary, pub) {
			return fmt.Errorf("--notarydevkey=%d: the dev notary key %d is in no "+
				"notary season of --network=%s", i, i, params.Name)
		}
		if err := wlt.ImportNotaryKey(key); err != nil {
			return err
		}
		log.Infof("Imported dev notary key %d (%x) into the wallet for this run", i, pub)
	}
	return nil
}

// hasNotaryKey reports whether a season of np names pub.
func hasNotaryKey(np *chainparams.NotaryParams, pub [33]byte) bool {
	for _, s := range np.Seasons {
		for _, k := range s.Pubkeys {
			if k == pub {
				return true
			}
		}
	}
	return false
}

// notaryRPCTimeout bounds one gettxout of the rounds.
const notaryRPCTimeout = 30 * time.Second

// checkNotaryConfig refuses --notary where it cannot run.
func checkNotaryConfig(cfg *Config, params *chainparams.Params) error {
	if !cfg.Notary && len(cfg.NotaryDevKey) == 0 {
		return nil
	}
	switch {
	case params.Notary == nil:
		return fmt.Errorf("--notary: --network=%s has no notaries", cfg.Network)
	case cfg.Notary && cfg.MainWatch.Backend != BackendBtcd:
		return fmt.Errorf("--notary needs --mainwatch.backend=%s: the rounds ask "+
			"the mainchain whether the notaries' outputs are unspent "+
			"(gettxout), which %s cannot answer", BackendBtcd, cfg.MainWatch.Backend)
	}
	return nil
}

// sideTip is the node's best sidechain as the runner sees it.
type sideTip struct{ c *sideblock.Chain }

func (s sideTip) Tip() (notarize.Chain, chainhash.Hash, int32, bool) {
	hash, h, ok := s.c.Tip()
	return sideHashes(s), hash, h, ok
}

// sideHashes is notarize.Chain over the best chain's height index.
type sideHashes struct{ c *sideblock.Chain }

func (s sideHashes) BlockHashAt(h int32) (chainhash.Hash, bool) {
	hash, err := s.c.HashAt(h)
	return hash, err == nil
}

// txOuts is the round's UTXO source over btcd's gettxout.
type txOuts struct{ src *btcdwatch.Source }

func (u txOuts) Spendable(op wire.OutPoint) (*wire.TxOut, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), notaryRPCTimeout)
	defer cancel()
	return u.src.GetTxOut(ctx, op)
}

// newNotaryRunner returns the round runner of a node run with --notary,
// nil without it.
func newNotaryRunner(cfg *Config, params *chainparams.Params, src mainwatch.Source,
	wlt *wallet.Wallet, side *sideblock.Chain, tracked *notary,
	relay *notaryrun.Relay) (*notaryrun.Runner, error) {

	if !cfg.Notary || tracked == nil {
		return nil, nil
	}
	if wlt == nil {
		return nil, errors.New("--notary needs the node's wallet (--wallet.unlockpasswordfile): " +
			"it holds the notary keys")
	}
	bs, ok := src.(*btcdwatch.Source)
	if !ok {
		return nil, fmt.Errorf("--notary needs --mainwatch.backend=%s", BackendBtcd)
	}
	r, err := notaryrun.New(notaryrun.Config{Params: params, Sidechain: sideTip{side},
		Notarizations: tracked.tracker, Wallet: round.FromNodeWallet(wlt), UTXOs: txOuts{bs},
		Backend: src, Transport: relay, Timeout: cfg.NotaryTimeout,
		FeeRate: cfg.NotaryFeeRate, MaxFeeRate: cfg.NotaryMaxFeeRate})
	if err != nil {
		return nil, err
	}
	relay.SetLocal(r)
	if keys := r.Keys(); len(keys) > 0 {
		_, h, ok := side.Tip()
		if !ok {
			h = 0
		}
		_, season, _ := params.Notary.SeasonAt(h) // Keys found one
		for _, i := range keys {
			pub := season.Pubkeys[i]
			addr, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub[:]), params.Main)
			if err != nil {
				return nil, err
			}
			log.Infof("Notary: the wallet holds the key of notary %d of the season "+
				"in force; its rounds spend what pays %v", i, addr)
		}
	} else {
		log.Warnf("Notary: the wallet holds no key of the season in force; the " +
			"node relays round messages and takes part once a season names one " +
			"of its keys (sidecli: notary keys are m/1017'/coin'/2'/0/i)")
	}
	return r, nil
}

// validateNotary checks the notary options' values; checkNotaryConfig,
// once the network's params are known, whether they apply.
func (c *Config) validateNotary() error {
	switch {
	case c.NotaryTimeout < time.Second:
		return fmt.Errorf("--notarytimeout=%v: give at least 1s", c.NotaryTimeout)
	case c.NotaryFeeRate < 1:
		return fmt.Errorf("--notaryfeerate=%d sat/vbyte: give at least 1", c.NotaryFeeRate)
	case c.NotaryMaxFeeRate < c.NotaryFeeRate:
		return fmt.Errorf("--notarymaxfeerate=%d sat/vbyte is below --notaryfeerate=%d",
			c.NotaryMaxFeeRate, c.NotaryFeeRate)
	}
	var keys []string // the sample config's empty value dropped
	for _, s := range c.NotaryDevKey {
		if s == "" {
			continue
		}
		if i, err := strconv.Atoi(s); err != nil || i < 0 || i > 255 {
			return fmt.Errorf("--notarydevkey=%s: give a notary index, 0 to 255", s)
		}
		keys = append(keys, s)
	}
	c.NotaryDevKey = keys
	return nil
}
