package cli

import (
	"context"
	"fmt"
	"math"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of the node's mainchain wallet and its stakes.

func walletCommands() []commandSpec {
	return []commandSpec{
		{groupWallet, "newaddress", "Issue a new receive address",
			"Issue a new mainchain receive address of the node's wallet " +
				"(WalletService.NewAddress).",
			func(c *client) any { return &newAddressCommand{c: c} }},
		{groupWallet, "balance", "Show the wallet's balance",
			"Show the wallet's mainchain balance, in sat (WalletService.GetBalance): " +
				"confirmed (at least --minconf confirmations), incoming (in blocks, " +
				"fewer confirmations), unconfirmed (the change of the wallet's " +
				"unconfirmed sends) and spendable. A coin the wallet has spent " +
				"counts in none of them from the moment it is sent.",
			func(c *client) any { return &balanceCommand{c: c} }},
		{groupWallet, "sendmain", "Pay a mainchain address from the wallet",
			"Pay --amount sat to the mainchain address --to from the wallet's " +
				"confirmed coins, at --feerate sat/vB; the node checks the " +
				"transaction (btcd's sanity rules and script engine) before it " +
				"broadcasts it. Its inputs signal replaceability: bumpfee raises " +
				"its fee while it is unconfirmed (WalletService.SendMain).",
			func(c *client) any { return &sendMainCommand{c: c} }},
		{groupWallet, "listunspent", "List the wallet's unspent coins",
			"List a page of the wallet's unspent mainchain outputs with at " +
				"least --minconf confirmations, oldest first, values in sat. " +
				"Coins the wallet's unconfirmed sends spend are left out; " +
				"--minconf 0 lists their change, with 0 confirmations " +
				"(WalletService.ListCoins). sideunspent lists the node's " +
				"sidechain coins.",
			func(c *client) any { return &listUnspentCommand{c: c} }},
		{groupWallet, "listtransactions", "List the wallet's transactions",
			"List a page of the wallet's mainchain transactions, oldest first: " +
				"those in blocks, then its unconfirmed sends; what each " +
				"received, sent and paid in fee, in sat " +
				"(WalletService.ListWalletTransactions). tx TXID --verbose " +
				"decodes one.",
			func(c *client) any { return &listTransactionsCommand{c: c} }},
		{groupWallet, "bumpfee", "Raise the fee of an unconfirmed send",
			"Replace an unconfirmed mainchain transaction of the wallet with " +
				"one that pays --feerate sat/vB (BIP125): the same inputs and " +
				"outputs, the higher fee taken from its change, or from " +
				"further confirmed coins of the wallet when the change is " +
				"missing or too small. The node " +
				"checks that the replacement pays a higher fee and fee rate, " +
				"by at least 1 sat/vB, from the wallet's coins; it refuses a " +
				"transaction that is not the wallet's or is confirmed " +
				"(WalletService.BumpFee).",
			func(c *client) any { return &bumpFeeCommand{c: c} }},
		{groupWallet, "changepassword", "Change the wallet's passphrase",
			"Seal the wallet's seed under a new passphrase, as lncli " +
				"changepassword does. Asks for the current and the new " +
				"passphrase (twice) on the terminal, or reads them as lines of " +
				"standard input (current, new). A node started with " +
				"--wallet.unlockpasswordfile reads that file at its next start: " +
				"write the new passphrase there too (WalletService.ChangePassphrase).",
			func(c *client) any { return &changePasswordCommand{c: c} }},
		{groupWallet, "backupseed", "Show the wallet's seed, to back it up",
			"Show the wallet's BIP32 seed (hex), its master key and the " +
				"derivation paths of its keys, given its passphrase (asked on " +
				"the terminal, or a line of standard input): with them every " +
				"key of the wallet can be derived again. Anyone who sees them " +
				"can spend the wallet's coins (WalletService.BackupSeed).",
			func(c *client) any { return &backupSeedCommand{c: c} }},
		{groupWallet, "create", "Create the wallet of a node that waits for it",
			"Create the wallet of a node started with --wallet.waitunlock that " +
				"has none, as lncli create does: a new seed sealed under the " +
				"passphrase (asked twice on the terminal, or a line of standard " +
				"input, or --passphrase-file); the node then starts with it. " +
				"The seed is shown once: back it up (WalletService.CreateWallet).",
			func(c *client) any { return &createWalletCommand{c: c} }},
		{groupWallet, "unlock", "Unlock the wallet of a node that waits for it",
			"Unlock the wallet of a node started with --wallet.waitunlock, as " +
				"lncli unlock does; the node then starts with it. The passphrase " +
				"is asked on the terminal, or read as a line of standard input, " +
				"or from --passphrase-file (WalletService.UnlockWallet).",
			func(c *client) any { return &unlockWalletCommand{c: c} }},
		{groupWallet, "sidetransactions", "List the node's sidechain transactions",
			"List a page of the sidechain transactions that pay the node's " +
				"sidechain address or spend its coins, in the newest --blocks " +
				"sideblocks of the best chain, oldest first: what each received " +
				"and sent, in sat (WalletService.ListSideTransactions). " +
				"listtransactions lists the mainchain wallet's.",
			func(c *client) any { return &sideTransactionsCommand{c: c} }},
		{groupWallet, "sideunspent", "List the node's sidechain coins",
			"List a page of the unspent outputs of the node's sidechain " +
				"address, oldest first, values in sat " +
				"(WalletService.GetSideAddress, SidechainService.ListUnspent).",
			func(c *client) any { return &sideUnspentCommand{c: c} }},
		{groupLottery, "stake create", "Register a new stake",
			"Fund, sign and broadcast a stake registration of --amount sat " +
				"from the node's wallet, or with --psbt print it as an " +
				"unfunded PSBT (WalletService.CreateStake). With --wait, " +
				"then follow the node until the registration is mined and " +
				"its ticket exists, with a progress line on stderr, and " +
				"print the ticket too.",
			func(c *client) any { return &stakeCreateCommand{c: c} }},
		{groupLottery, "stake list", "List the wallet's tickets",
			"List a page of the tickets whose stake key belongs to the wallet " +
				"(WalletService.ListStakes).",
			func(c *client) any { return &stakeListCommand{c: c} }},
		{groupLottery, "stake withdraw", "Withdraw a stake",
			"Spend a ticket's stake output after its lock height, to the wallet " +
				"or to the mainchain address --to. The ticket is named by its " +
				"id or by its stake outpoint txid:vout (WalletService.WithdrawStake).",
			func(c *client) any { return &stakeWithdrawCommand{c: c} }},
		{groupLottery, "stake topup", "Add wallet coins to a ticket's publisher output",
			"Record that the ticket's next header transaction adds --amount sat of the " +
				"wallet's confirmed coins to its publisher output, the output that pays " +
				"its header fees. Nothing is sent now: the next header transaction spends " +
				"the coins as further inputs (docs/protocol.md §5). Only a live ticket of " +
				"this wallet's can be topped up (WalletService.TopUpStake).",
			func(c *client) any { return &stakeTopUpCommand{c: c} }},
	}
}

type newAddressCommand struct{ c *client }

func (cmd *newAddressCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).NewAddress(ctx, &apiv1.NewAddressRequest{})
	})
}

type balanceCommand struct {
	MinConf value `long:"minconf" unquote:"false" value-name:"N" description:"Confirmations (mainchain blocks) a coin needs to count as confirmed; 0 counts the change of unconfirmed sends too; default 1"`
	c       *client
}

// minConf parses --minconf: 0 means 0, absent means 1.
func minConf(v value) (int64, error) {
	if !v.set {
		return 1, nil
	}
	return parseInt("--minconf", v.raw, 0, math.MaxInt32, "confirmations")
}

func (cmd *balanceCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	minConf, err := minConf(cmd.MinConf)
	if err != nil {
		return err
	}
	return cmd.c.run(fields{"min_conf": "--minconf"}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: int32(minConf)})
	})
}

type stakeCreateCommand struct {
	Amount     value `long:"amount" unquote:"false" required:"yes" value-name:"SAT" description:"The stake, in sat"`
	LockBlocks value `long:"lock-blocks" unquote:"false" required:"yes" value-name:"BLOCKS" description:"Mainchain blocks the stake stays locked, from the block after the tip"`
	FeeRate    value `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Mainchain fee rate in sat/vB; default (or 0) the node's, 2; at most 10000"`
	PSBT       bool  `long:"psbt" description:"Print the registration as an unfunded PSBT for another wallet to fund, sign and broadcast, instead of paying it from the node's wallet"`
	Wait       bool  `long:"wait" description:"After printing the registration, wait until it is mined and its ticket exists, with a progress line on stderr, then print the ticket"`
	forceOption
	c *client
}

func (cmd *stakeCreateCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	amt, err := amount("--amount", cmd.Amount)
	if err != nil {
		return err
	}
	if p := cmd.c.params; amt < p.MinStakeValue {
		return usagef("--amount %d is below the minimum stake on %s, %d sat",
			amt, p.Name, p.MinStakeValue)
	}
	lock, err := parseInt("--lock-blocks", cmd.LockBlocks.raw, 1, int64(cmd.c.params.MaxStakeLock),
		"blocks (the most a stake can stay locked on "+cmd.c.params.Name+")")
	if err != nil {
		return err
	}
	rate, err := mainFeeRate(cmd.FeeRate)
	if err != nil {
		return err
	}
	if cmd.Wait && cmd.PSBT {
		return usagef("--wait waits for a registration the node pays, and --psbt has another wallet pay it: give one")
	}
	if !cmd.PSBT {
		if err := cmd.c.confirm(cmd.Force, "register it", fmt.Sprintf("a stake of %d sat of the "+
			"wallet, locked for %d mainchain blocks,", amt, lock)); err != nil {
			return err
		}
	}
	f := fields{"amount_sat": "--amount", "lock_blocks": "--lock-blocks", "fee_rate_sat_vb": "--feerate"}
	resp, err := cmd.c.call(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).CreateStake(ctx, &apiv1.CreateStakeRequest{
			AmountSat:    amt,
			LockBlocks:   uint32(lock),
			FeeRateSatVb: rate,
			PsbtOnly:     cmd.PSBT,
		})
	}, true)
	if err != nil || !cmd.Wait {
		return err
	}
	return cmd.c.waitForTicket(resp.(*apiv1.CreateStakeResponse).GetTxid())
}

type stakeListCommand struct {
	pageOptions
	c *client
}

func (cmd *stakeListCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).ListStakes(ctx, &apiv1.ListStakesRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

type stakeWithdrawCommand struct {
	To      string `long:"to" unquote:"false" value-name:"ADDRESS" description:"Mainchain address that receives the stake; default a new address of the wallet"`
	FeeRate value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Mainchain fee rate in sat/vB; default (or 0) the node's, 2; at most 10000"`
	Args    struct {
		Ticket arg `positional-arg-name:"ticket" description:"Ticket id, or the stake outpoint as txid:vout"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *stakeWithdrawCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	rate, err := mainFeeRate(cmd.FeeRate)
	if err != nil {
		return err
	}
	req := &apiv1.WithdrawStakeRequest{FeeRateSatVb: rate}
	if cmd.To != "" {
		if req.DestinationAddress, err = address("--to", mainchain, cmd.To, cmd.c.params); err != nil {
			return err
		}
	}
	ticket := cmd.Args.Ticket.String()
	if strings.Contains(ticket, ":") {
		op, err := outpoint("<ticket>", "stake outpoint's mainchain transaction", ticket)
		if err != nil {
			return err
		}
		req.Stake = &apiv1.WithdrawStakeRequest_StakeOutpoint{StakeOutpoint: op}
	} else {
		id, err := parseInt("<ticket>", ticket, 0, math.MaxInt64, "(a ticket id, or the stake outpoint txid:vout)")
		if err != nil {
			return usagef("<ticket> %s: want a ticket id (sidecli stake list "+
				"shows them) or the stake outpoint txid:vout", quoteIfOdd(ticket))
		}
		req.Stake = &apiv1.WithdrawStakeRequest_TicketId{TicketId: uint64(id)}
	}
	f := fields{"destination_address": "--to", "destination": "--to", "fee_rate_sat_vb": "--feerate",
		"ticket_id": "<ticket>", "stake_outpoint": "<ticket>"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).WithdrawStake(ctx, req)
	})
}

type stakeTopUpCommand struct {
	Amount value `long:"amount" unquote:"false" required:"yes" value-name:"SAT" description:"What to add to the publisher output, in sat"`
	Args   struct {
		Ticket arg `positional-arg-name:"ticket" description:"Ticket id (sidecli stake list shows them)"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *stakeTopUpCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	amt, err := amount("--amount", cmd.Amount)
	if err != nil {
		return err
	}
	ticket := cmd.Args.Ticket.String()
	id, err := parseInt("<ticket>", ticket, 0, math.MaxInt64, "(a ticket id)")
	if err != nil {
		return usagef("<ticket> %s: want a ticket id (sidecli stake list shows them)",
			quoteIfOdd(ticket))
	}
	f := fields{"ticket_id": "<ticket>", "amount_sat": "--amount"}
	resp, err := cmd.c.call(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).TopUpStake(ctx, &apiv1.TopUpStakeRequest{
			TicketId: uint64(id), AmountSat: amt})
	}, true)
	if err != nil {
		return err
	}
	r := resp.(*apiv1.TopUpStakeResponse)
	fmt.Fprintf(cmd.c.stderr, "Recorded; nothing is sent now. Ticket %d's next header "+
		"transaction adds %d sat (pending in all) from the wallet's confirmed coins "+
		"(%d sat) to its publisher output (%d sat now).\n", id, r.PendingSat,
		r.ConfirmedSat, r.PublisherValueSat)
	return nil
}
