package cli

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/wallet"
)

// The commands of the wallet's payments, coins, history and seed (their
// specs are in walletCommands).

type sendMainCommand struct {
	To      string `long:"to" unquote:"false" required:"yes" value-name:"ADDRESS" description:"Mainchain address to pay"`
	Amount  value  `long:"amount" unquote:"false" required:"yes" value-name:"SAT" description:"Amount to pay, in sat"`
	FeeRate value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Mainchain fee rate in sat/vB; default (or 0) the node's, 2; at most 10000"`
	forceOption
	c *client
}

func (cmd *sendMainCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	to, err := address("--to", mainchain, cmd.To, cmd.c.params)
	if err != nil {
		return err
	}
	amt, err := amount("--amount", cmd.Amount)
	if err != nil {
		return err
	}
	rate, err := mainFeeRate(cmd.FeeRate)
	if err != nil {
		return err
	}
	if err := cmd.c.confirm(cmd.Force, "send it", fmt.Sprintf("a payment of %d sat to the mainchain address %s", amt, to)); err != nil {
		return err
	}
	f := fields{"to_address": "--to", "amount_sat": "--amount", "fee_rate_sat_vb": "--feerate"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).SendMain(ctx, &apiv1.SendMainRequest{
			ToAddress: to, AmountSat: amt, FeeRateSatVb: rate})
	})
}

type listUnspentCommand struct {
	MinConf value `long:"minconf" unquote:"false" value-name:"N" description:"Confirmations a coin needs to be listed; 0 lists the change of unconfirmed sends too; default 1"`
	pageOptions
	c *client
}

func (cmd *listUnspentCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	mc, err := minConf(cmd.MinConf)
	if err != nil {
		return err
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	return cmd.c.run(pageFields.with(fields{"min_conf": "--minconf"}), func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).ListCoins(ctx, &apiv1.ListCoinsRequest{
			MinConf: int32(mc), Offset: off, Limit: lim, Reversed: cmd.Reversed})
	})
}

type listTransactionsCommand struct {
	pageOptions
	c *client
}

func (cmd *listTransactionsCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).ListWalletTransactions(ctx,
			&apiv1.ListWalletTransactionsRequest{Offset: off, Limit: lim, Reversed: cmd.Reversed})
	})
}

type bumpFeeCommand struct {
	FeeRate value `long:"feerate" unquote:"false" required:"yes" value-name:"SAT/VB" description:"The replacement's fee rate in sat/vB: above the transaction's by at least 1; at most 10000"`
	Args    struct {
		TxID arg `positional-arg-name:"txid" description:"Unconfirmed mainchain transaction of the wallet"`
	} `positional-args:"yes" required:"yes"`
	forceOption
	c *client
}

func (cmd *bumpFeeCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	id, err := txid("<txid>", "mainchain transaction id", cmd.Args.TxID.String())
	if err != nil {
		return err
	}
	rate, err := parseInt("--feerate", cmd.FeeRate.raw, 1, maxMainFeeRate, "sat/vB")
	if err != nil {
		return err
	}
	if err := cmd.c.confirm(cmd.Force, "bump it", fmt.Sprintf("the replacement of mainchain "+
		"transaction %s by one paying %d sat/vB", id, rate)); err != nil {
		return err
	}
	f := fields{"txid": "<txid>", "fee_rate_sat_vb": "--feerate"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		resp, err := apiv1.NewWalletServiceClient(conn).BumpFee(ctx, &apiv1.BumpFeeRequest{
			Txid: id, FeeRateSatVb: rate})
		return resp, notFoundHint(err, "listtransactions shows the wallet's transactions")
	})
}

type changePasswordCommand struct {
	CurrentFile string `long:"current-file" unquote:"false" value-name:"FILE" description:"Read the current passphrase from this file (its first line) instead of asking"`
	NewFile     string `long:"new-file" unquote:"false" value-name:"FILE" description:"Read the new passphrase from this file (its first line) instead of asking"`
	c           *client
}

func (cmd *changePasswordCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	cur, err := cmd.c.passphrase("--current-file", cmd.CurrentFile, "Current wallet passphrase")
	if err != nil {
		return err
	}
	next, err := cmd.c.passphrase("--new-file", cmd.NewFile, "New wallet passphrase")
	if err != nil {
		return err
	}
	if next == "" {
		return usagef("the new passphrase is empty")
	}
	if cmd.NewFile == "" && terminal.isTTY() {
		again, err := cmd.c.readPassphrase("New wallet passphrase again")
		if err != nil {
			return err
		}
		if again != next {
			return usagef("the two new passphrases differ: nothing was changed")
		}
	}
	f := fields{"current_passphrase": "the current passphrase", "new_passphrase": "the new passphrase"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).ChangePassphrase(ctx, &apiv1.ChangePassphraseRequest{
			CurrentPassphrase: cur, NewPassphrase: next})
	})
}

type backupSeedCommand struct {
	PassphraseFile string `long:"passphrase-file" unquote:"false" value-name:"FILE" description:"Read the wallet's passphrase from this file (its first line) instead of asking"`
	JSON           bool   `long:"json" description:"Print the node's answer as JSON (words, seed, master key, paths) instead of the numbered words"`
	c              *client
}

func (cmd *backupSeedCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	pass, err := cmd.c.passphrase("--passphrase-file", cmd.PassphraseFile, "Wallet passphrase")
	if err != nil {
		return err
	}
	resp, err := cmd.c.call(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).BackupSeed(ctx, &apiv1.BackupSeedRequest{Passphrase: pass})
	}, cmd.JSON)
	if err != nil || cmd.JSON {
		return err
	}
	return printBackup(cmd.c.stdout, resp.(*apiv1.BackupSeedResponse))
}

type sideUnspentCommand struct {
	pageOptions
	c *client
}

func (cmd *sideUnspentCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		a, err := apiv1.NewWalletServiceClient(conn).GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
		if err != nil {
			return nil, err
		}
		return apiv1.NewSidechainServiceClient(conn).ListUnspent(ctx, &apiv1.ListUnspentRequest{
			Address: a.GetAddress(), Offset: off, Limit: lim, Reversed: cmd.Reversed})
	})
}

type createWalletCommand struct {
	PassphraseFile string `long:"passphrase-file" unquote:"false" value-name:"FILE" description:"Read the new wallet's passphrase from this file (its first line) instead of asking"`
	Restore        bool   `long:"restore" description:"Restore a wallet from the 24 words of its backup, asked on the terminal or read from standard input (before the passphrase), never from the command line"`
	MnemonicFile   string `long:"mnemonic-file" unquote:"false" value-name:"FILE" description:"Restore a wallet from the 24 words of its backup written in this file"`
	JSON           bool   `long:"json" description:"Print the node's answer as JSON instead of the numbered words"`
	c              *client
}

func (cmd *createWalletCommand) Execute(args []string) error {
	if len(args) > 0 && (cmd.Restore || wallet.IsMnemonicWord(args[0])) {
		// Not echoed: they may be the words of a backup.
		return usagef("create takes no arguments: give the words of a backup with --restore on " +
			"standard input or the terminal, never on the command line, where the shell's history keeps them")
	}
	if err := noArgs(args); err != nil {
		return err
	}
	var words []string
	if cmd.Restore || cmd.MnemonicFile != "" {
		var err error
		if words, err = cmd.c.readWords(cmd.MnemonicFile); err != nil {
			return err
		}
	}
	pass, err := cmd.c.passphrase("--passphrase-file", cmd.PassphraseFile, "New wallet passphrase")
	if err != nil {
		return err
	}
	if pass == "" {
		return usagef("the passphrase is empty")
	}
	if cmd.PassphraseFile == "" && terminal.isTTY() {
		again, err := cmd.c.readPassphrase("New wallet passphrase again")
		if err != nil {
			return err
		}
		if again != pass {
			return usagef("the two passphrases differ: no wallet was created")
		}
	}
	f := fields{"mnemonic": "the words of the backup"}
	resp, err := cmd.c.call(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).CreateWallet(ctx, &apiv1.CreateWalletRequest{
			Passphrase: pass, Mnemonic: words})
	}, cmd.JSON)
	if err != nil || cmd.JSON {
		return err
	}
	r := resp.(*apiv1.CreateWalletResponse)
	if words != nil {
		_, err = fmt.Fprintf(cmd.c.stdout, "Restored the wallet of the %d words in %s: the node starts with it.\n",
			len(words), r.GetSeedFile())
		return err
	}
	if len(r.GetMnemonic()) == 0 {
		return printJSON(cmd.c.stdout, r) // a node from before word backups
	}
	if err := printWords(cmd.c.stdout, r.GetMnemonic()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.c.stdout, "\nCreated the wallet in %s: the node starts with it.\n", r.GetSeedFile())
	return err
}

type unlockWalletCommand struct {
	PassphraseFile string `long:"passphrase-file" unquote:"false" value-name:"FILE" description:"Read the wallet's passphrase from this file (its first line) instead of asking"`
	c              *client
}

func (cmd *unlockWalletCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	pass, err := cmd.c.passphrase("--passphrase-file", cmd.PassphraseFile, "Wallet passphrase")
	if err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).UnlockWallet(ctx, &apiv1.UnlockWalletRequest{Passphrase: pass})
	})
}

type sideTransactionsCommand struct {
	Blocks value `long:"blocks" unquote:"false" value-name:"N" description:"Read this many sideblocks back from the tip; default (or 0) 1000; at most 10000"`
	pageOptions
	c *client
}

func (cmd *sideTransactionsCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	blocks, err := optional("--blocks", cmd.Blocks, 0, 10_000, "sideblocks")
	if err != nil {
		return err
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	return cmd.c.run(pageFields.with(fields{"blocks": "--blocks"}), func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).ListSideTransactions(ctx, &apiv1.ListSideTransactionsRequest{
			Blocks: uint32(blocks), Offset: off, Limit: lim, Reversed: cmd.Reversed})
	})
}
