package nodeapi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// The mainchain wallet's payments, coins, history, fee bumps and seed.

// mainDest returns the script of a mainchain address a user typed in
// field, saying which chain an address of the other one belongs to.
func (b *Adapter) mainDest(field, addr string) ([]byte, error) {
	if a, err := btcutil.DecodeAddress(addr, b.params.Side); err == nil &&
		a.IsForNet(b.params.Side) && !a.IsForNet(b.params.Main) {
		return nil, api.Errorf(api.ErrInvalidArgument, "%s %s is a sidechain address, "+
			"where a mainchain address is expected", field, addr)
	}
	return b.withdrawalDest(field, addr)
}

func (b *Adapter) SendMain(ctx context.Context, to string, amount, feeRate int64) (*api.SendResult, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	script, err := b.mainDest("to_address", to)
	if err != nil {
		return nil, err
	}
	if err := checkAmount("amount_sat", amount); err != nil {
		return nil, err
	}
	rate, err := mainFeeRate("fee_rate_sat_vb", feeRate)
	if err != nil {
		return nil, err
	}
	out := wire.NewTxOut(amount, script)
	if mempool.IsDust(out, mempool.DefaultMinRelayTxFee) {
		return nil, api.Errorf(api.ErrInvalidArgument, "amount_sat %d is below the dust "+
			"limit of that address: no mainchain node would relay it", amount)
	}
	tx, err := b.wallet.Fund([]*wire.TxOut{out}, rate, apiStakeMinConf)
	if err != nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "%w", err)
	}
	prevs, err := b.wallet.PrevOuts(tx)
	if err != nil {
		b.wallet.Release(tx)
		return nil, err
	}
	fee := txFee(tx, prevs)
	if err := b.broadcastFunded(ctx, tx); err != nil {
		return nil, err
	}
	return &api.SendResult{TxID: tx.TxHash(), Fee: fee, VSize: vsize(tx)}, nil
}

func txFee(tx *wire.MsgTx, prevs txscript.PrevOutputFetcher) int64 {
	var fee int64
	for _, in := range tx.TxIn {
		if p := prevs.FetchPrevOutput(in.PreviousOutPoint); p != nil {
			fee += p.Value
		}
	}
	for _, o := range tx.TxOut {
		fee -= o.Value
	}
	return fee
}

func vsize(tx *wire.MsgTx) int64 {
	return (blockchain.GetTransactionWeight(btcutil.NewTx(tx)) + 3) / 4
}

// page returns the items of p from a list of n.
func pageRange(n int, p api.Page) []int {
	var idx []int
	for i := p.Offset; i < uint64(n) && len(idx) < int(p.Limit); i++ {
		j := int(i)
		if p.Reversed {
			j = n - 1 - int(i)
		}
		idx = append(idx, j)
	}
	return idx
}

func (b *Adapter) WalletCoins(_ context.Context, minConf int32, p api.Page) ([]api.WalletCoin, uint64, error) {
	if b.wallet == nil {
		return nil, 0, errNoWallet
	}
	coins, err := b.wallet.ListUnspent(minConf)
	if err != nil {
		return nil, 0, err
	}
	var out []api.WalletCoin
	for _, i := range pageRange(len(coins), p) {
		c := coins[i]
		wc := api.WalletCoin{OutPoint: c.OutPoint, Value: c.Value,
			Confirmations: uint64(max(c.Confirmations, 0)), Change: c.Key.Family == wallet.Change}
		if c.Confirmations > 0 {
			wc.Height = c.Height
		}
		if _, addrs, _, err := txscript.ExtractPkScriptAddrs(c.PkScript, b.params.Main); err == nil && len(addrs) == 1 {
			wc.Address = addrs[0].EncodeAddress()
		}
		out = append(out, wc)
	}
	return out, uint64(len(coins)), nil
}

// walletTx converts a wallet transaction at the tip tipHeight.
func walletTx(t *wallet.WalletTx, tipHeight int32) api.WalletTx {
	out := api.WalletTx{TxID: t.Tx.TxHash(), Received: t.Received, Sent: t.Sent, Fee: t.Fee}
	if t.Pending() {
		for _, in := range t.Tx.TxIn {
			out.Replaceable = out.Replaceable || in.Sequence < wire.MaxTxInSequenceNum-1
		}
	} else {
		out.Confirmed, out.Height = true, t.Height
		if tipHeight >= t.Height {
			out.Confirmations = uint64(tipHeight-t.Height) + 1
		}
	}
	return out
}

func (b *Adapter) WalletTransactions(_ context.Context, p api.Page) ([]api.WalletTx, uint64, error) {
	if b.wallet == nil {
		return nil, 0, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return nil, 0, err
	}
	txs, err := b.wallet.Transactions()
	if err != nil {
		return nil, 0, err
	}
	var out []api.WalletTx
	for _, i := range pageRange(len(txs), p) {
		out = append(out, walletTx(txs[i], tip.Height))
	}
	return out, uint64(len(txs)), nil
}

func (b *Adapter) WalletTransaction(_ context.Context, txid chainhash.Hash) (*api.WalletTx, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return nil, err
	}
	t, err := b.wallet.Transaction(txid)
	if errors.Is(err, wallet.ErrNotOwnTx) {
		return nil, api.Errorf(api.ErrNotFound, "mainchain transaction %v is not one the "+
			"wallet sent or received", txid)
	}
	if err != nil {
		return nil, err
	}
	out := walletTx(t, tip.Height)
	out.Raw = t.Tx
	return &out, nil
}

func (b *Adapter) BumpFee(ctx context.Context, txid chainhash.Hash, feeRate int64) (*api.BumpResult, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	if wallet.CheckFeeRate(feeRate) != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "fee_rate_sat_vb %d is not between 1 and %d sat/vB",
			feeRate, int64(wallet.MaxFeeRate))
	}
	repl, old, err := b.wallet.BumpFee(txid, feeRate)
	switch {
	case errors.Is(err, wallet.ErrNotOwnTx):
		return nil, api.Errorf(api.ErrNotFound, "mainchain transaction %v is not one the "+
			"wallet sent: only the wallet's own transactions can be bumped", txid)
	case errors.Is(err, wallet.ErrConfirmed):
		return nil, api.Errorf(api.ErrFailedPrecondition, "%v: nothing to bump", err)
	case errors.Is(err, wallet.ErrBumpRate):
		return nil, api.Errorf(api.ErrInvalidArgument, "fee_rate_sat_vb: %v", err)
	case errors.Is(err, wallet.ErrReplacement):
		return nil, api.Errorf(api.ErrFailedPrecondition, "%v", err)
	case err != nil:
		return nil, err
	}
	prevs, err := b.wallet.PrevOuts(repl)
	if err != nil {
		b.wallet.Release(repl)
		return nil, err
	}
	// Checked again where every broadcast is, CheckTx, then sent; the
	// coins the bump added are freed when it is not sent, as a send's are
	// (broadcastFunded).
	if err := b.broadcastFunded(ctx, repl); err != nil {
		return nil, err
	}
	return &api.BumpResult{TxID: repl.TxHash(), Replaced: old.TxHash(),
		OldFee: txFee(old, prevs), Fee: txFee(repl, prevs)}, nil
}

// seedError maps the seed file's errors.
func seedError(field string, err error) error {
	switch {
	case errors.Is(err, wallet.ErrWrongPassphrase):
		return api.Errorf(api.ErrInvalidArgument, "%s: wrong wallet passphrase", field)
	case errors.Is(err, wallet.ErrNoSeed):
		return errNoWallet
	}
	return err
}

func (b *Adapter) ChangePassphrase(_ context.Context, current, next []byte) (string, string, error) {
	if b.wallet == nil || b.seedFile == "" {
		return "", "", errNoWallet
	}
	if len(next) == 0 {
		return "", "", api.Errorf(api.ErrInvalidArgument, "new_passphrase is empty")
	}
	if err := wallet.ChangePassphrase(b.seedFile, current, next, wallet.DefaultKDF); err != nil {
		return "", "", seedError("current_passphrase", err)
	}
	log.Infof("Wallet passphrase changed (%s)", b.seedFile)
	if b.passwordFile != "" {
		log.Warnf("The wallet password file %s still holds the old passphrase: "+
			"write the new one there before the node restarts", b.passwordFile)
	}
	return b.seedFile, b.passwordFile, nil
}

func (b *Adapter) BackupSeed(_ context.Context, pass []byte) (*api.SeedBackup, error) {
	if b.wallet == nil || b.seedFile == "" {
		return nil, errNoWallet
	}
	seed, err := wallet.OpenSeed(b.seedFile, pass)
	if err != nil {
		return nil, seedError("passphrase", err)
	}
	master, err := hdkeychain.NewMaster(seed.BIP32(), b.params.Main)
	if err != nil {
		return nil, err
	}
	coin := b.params.Main.HDCoinType
	log.Infof("Wallet seed backed up through the API")
	backup := seedBackup(seed)
	backup.MasterXprv = master.String()
	backup.Derivation = []string{
		fmt.Sprintf("m/84'/%d'/0'/0/i mainchain receive (P2WPKH)", coin),
		fmt.Sprintf("m/84'/%d'/0'/1/i mainchain change (P2WPKH)", coin),
		fmt.Sprintf("m/1017'/%d'/0'/0/i stake keys", coin),
		fmt.Sprintf("m/1017'/%d'/1'/0/i sidechain keys (P2WPKH)", coin),
	}
	return backup, nil
}

// seedBackup is the backup of seed: its words, or for a legacy seed its
// BIP32 seed alone.
func seedBackup(seed *wallet.Seed) *api.SeedBackup {
	return &api.SeedBackup{Seed: seed.BIP32(), Mnemonic: seed.Mnemonic(), Legacy: seed.Legacy()}
}

// WalletTransactionsIn implements api.WalletStreamBackend: the wallet's
// history records confirmed at the block's height, while the block is on
// the node's mainchain (read in one snapshot of the store; the wallet's
// history, which follows the same blocks, is read after it).
func (b *Adapter) WalletTransactionsIn(_ context.Context, block api.MainRef) ([]api.WalletTx, bool, error) {
	if b.wallet == nil {
		return nil, false, errNoWallet
	}
	var (
		tip     int32
		onChain bool
	)
	err := b.db.View(func(r store.Reader) error {
		hash, err := r.HashAt(block.Height)
		if errors.Is(err, store.ErrNotFound) || (err == nil && hash != block.Hash) {
			return nil
		}
		if err != nil {
			return err
		}
		t, err := r.Tip()
		if err != nil {
			return err
		}
		onChain, tip = true, t.Height
		return nil
	})
	if err != nil || !onChain {
		return nil, false, err
	}
	txs, err := b.wallet.Transactions()
	if err != nil {
		return nil, false, err
	}
	var out []api.WalletTx
	for _, t := range txs {
		if !t.Pending() && t.Height == block.Height {
			out = append(out, walletTx(t, tip))
		}
	}
	return out, true, nil
}

// MainTransaction implements api.MainchainBackend: the wallet's own
// transactions from its records, any other from the mainchain backend.
func (b *Adapter) MainTransaction(ctx context.Context, txid chainhash.Hash) (*api.MainTx, error) {
	if b.wallet != nil {
		t, err := b.WalletTransaction(ctx, txid)
		if err == nil {
			mt := &api.MainTx{Tx: t.Raw, Confirmations: int32(min(t.Confirmations, math.MaxInt32)),
				Source: "wallet"}
			if t.Confirmed {
				if hash, err := b.db.HashAt(t.Height); err == nil {
					mt.BlockHash = &hash
				}
			}
			return mt, nil
		}
		if !api.IsErrorCode(err, api.ErrNotFound) {
			return nil, err
		}
	}
	inWallet := "is not in this node's wallet"
	if b.wallet == nil {
		inWallet = "is not known: the node runs without a wallet"
	}
	if b.mainTxs == nil {
		return nil, api.Errorf(api.ErrNotFound, "mainchain transaction %v %s, and the node's "+
			"mainchain backend (neutrino) keeps no transactions: only the wallet's own "+
			"mainchain transactions can be shown", txid, inWallet)
	}
	tx, block, conf, found, err := b.mainTxs.GetRawTransaction(ctx, txid)
	if err != nil {
		return nil, api.Errorf(api.ErrUnavailable, "ask btcd for mainchain transaction %v: %w", txid, err)
	}
	if !found {
		return nil, api.Errorf(api.ErrNotFound, "mainchain transaction %v %s, and btcd does "+
			"not know it: btcd needs --txindex to find confirmed transactions of others", txid, inWallet)
	}
	return &api.MainTx{Tx: tx, BlockHash: block, Confirmations: int32(min(conf, math.MaxInt32)),
		Source: "btcd"}, nil
}
