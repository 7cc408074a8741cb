package cli

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
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
				"fewer confirmations, and, with the btcd backend, what transactions " +
				"in btcd's mempool pay the wallet; neutrino sees no mempool: " +
				"mempool_watched false), unconfirmed (the change of the wallet's " +
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
			"Show the wallet's backup, given its passphrase (asked on the " +
				"terminal, or a line of standard input): its 24 BIP39 words, " +
				"numbered, and the derivation paths of its keys. The words " +
				"alone restore the wallet (create --restore, or any BIP39 " +
				"wallet: English, no BIP39 passphrase); anyone who sees them " +
				"can spend the wallet's coins. A wallet created before backups " +
				"were words (legacy) has none: its backup is its BIP32 seed " +
				"in hex, shown with its master key. --json prints the node's " +
				"answer (WalletService.BackupSeed).",
			func(c *client) any { return &backupSeedCommand{c: c} }},
		{groupWallet, "create", "Create the wallet of a node that waits for it",
			"Create the wallet of a node started with --wallet.waitunlock that " +
				"has none, as lncli create does: a new seed sealed under the " +
				"passphrase (asked twice on the terminal, or a line of standard " +
				"input, or --passphrase-file); the node then starts with it. " +
				"The seed's 24 words are shown once: write them down. With " +
				"--restore, the wallet of the 24 words of a backup instead, " +
				"asked on the terminal or read from standard input before the " +
				"passphrase (or from --mnemonic-file), never from the command " +
				"line; words that are not a backup (a word of no BIP39 English " +
				"list, a missing word, a wrong checksum) create no wallet " +
				"(WalletService.CreateWallet).",
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
				"unfunded PSBT (WalletService.CreateStake). With " +
				"--owner-pubkey the stake is locked to that key, which the " +
				"node never holds (a hardware wallet's, say), and only the " +
				"publisher output to the node's stake key: a stolen node " +
				"can publish for the ticket but never spend the stake. With --wait, " +
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
				"or to the mainchain address --to, or with --psbt print the " +
				"withdrawal unsigned as a PSBT for the wallet that holds the " +
				"stake's key: the only way for a stake locked to a cold owner " +
				"key (stake create --owner-pubkey). The ticket is named by its " +
				"id or by its stake outpoint txid:vout (WalletService.WithdrawStake).",
			func(c *client) any { return &stakeWithdrawCommand{c: c} }},
		{groupLottery, "stake renew", "Renew a stake",
			"Spend a ticket's stake after its lock height straight into a new " +
				"registration of the same keys, locked --lock-blocks blocks " +
				"from the block after the tip, in one transaction: the new " +
				"stake is the old one less a new 200,000 sat publisher output, " +
				"the registry output and the fee. A stake of the node's key is " +
				"renewed and broadcast. For a stake locked to a cold owner key " +
				"it prints the renewal as a PSBT; sign it with the owner's " +
				"wallet and give it back with --signed-psbt: the node checks " +
				"that it pays nothing but the new stake of the same owner, and " +
				"broadcasts it (WalletService.RenewStake).",
			func(c *client) any { return &stakeRenewCommand{c: c} }},
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
	resp, err := cmd.c.call(fields{"min_conf": "--minconf"}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: int32(minConf)})
	}, true)
	if err != nil {
		return err
	}
	if b, ok := resp.(*apiv1.GetBalanceResponse); ok && !b.GetMempoolWatched() {
		fmt.Fprintln(cmd.c.stderr, "note: incoming_sat counts no unconfirmed payments: "+
			"the node's mainchain backend (neutrino) sees no mempool, so a payment to "+
			"the wallet shows once it is in a block")
	}
	return nil
}

type stakeCreateCommand struct {
	Amount     value  `long:"amount" unquote:"false" required:"yes" value-name:"SAT" description:"The stake, in sat"`
	LockBlocks value  `long:"lock-blocks" unquote:"false" required:"yes" value-name:"BLOCKS" description:"Mainchain blocks the stake stays locked, from the block after the tip"`
	FeeRate    value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Mainchain fee rate in sat/vB; default (or 0) the node's, 2; at most 10000"`
	PSBT       bool   `long:"psbt" description:"Print the registration as an unfunded PSBT for another wallet to fund, sign and broadcast, instead of paying it from the node's wallet"`
	Wait       bool   `long:"wait" description:"After printing the registration, wait until it is mined and its ticket exists, with a progress line on stderr, then print the ticket"`
	OwnerPub   string `long:"owner-pubkey" unquote:"false" value-name:"HEX" description:"Lock the stake to this key (33-byte compressed, 66 hex digits), which the node never holds; the publisher output stays the node's"`
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
	if cmd.OwnerPub != "" {
		if err := ownerPubKey(cmd.OwnerPub); err != nil {
			return err
		}
	}
	if !cmd.PSBT {
		owner := ""
		if cmd.OwnerPub != "" {
			owner = " to the owner key " + cmd.OwnerPub
		}
		if err := cmd.c.confirm(cmd.Force, "register it", fmt.Sprintf("a stake of %d sat of the "+
			"wallet, locked%s for %d mainchain blocks,", amt, owner, lock)); err != nil {
			return err
		}
	}
	f := fields{"amount_sat": "--amount", "lock_blocks": "--lock-blocks", "fee_rate_sat_vb": "--feerate",
		"owner_pubkey": "--owner-pubkey"}
	resp, err := cmd.c.call(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).CreateStake(ctx, &apiv1.CreateStakeRequest{
			AmountSat:    amt,
			LockBlocks:   uint32(lock),
			FeeRateSatVb: rate,
			PsbtOnly:     cmd.PSBT,
			OwnerPubkey:  cmd.OwnerPub,
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

// ownerPubKey checks --owner-pubkey: a compressed public key in hex.
func ownerPubKey(s string) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != btcec.PubKeyBytesLenCompressed || (b[0] != 2 && b[0] != 3) {
		return usagef("--owner-pubkey %s: want a 33-byte compressed public key, "+
			"66 hex digits starting 02 or 03", quoteIfOdd(s))
	}
	if _, err := btcec.ParsePubKey(b); err != nil {
		return usagef("--owner-pubkey %s: not a point of the curve", s)
	}
	return nil
}

type stakeWithdrawCommand struct {
	To      string `long:"to" unquote:"false" value-name:"ADDRESS" description:"Mainchain address that receives the stake; default a new address of the wallet"`
	FeeRate value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Mainchain fee rate in sat/vB; default (or 0) the node's, 2; at most 10000"`
	PSBT    bool   `long:"psbt" description:"Print the withdrawal unsigned, as a PSBT for the wallet that holds the stake's key to sign and broadcast (lock time and sequence set): how a stake of a cold owner key is withdrawn"`
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
	req := &apiv1.WithdrawStakeRequest{FeeRateSatVb: rate, PsbtOnly: cmd.PSBT}
	if cmd.To != "" {
		if req.DestinationAddress, err = address("--to", mainchain, cmd.To, cmd.c.params); err != nil {
			return err
		}
	}
	id, op, err := stakeArg(cmd.Args.Ticket.String())
	if err != nil {
		return err
	}
	if op != "" {
		req.Stake = &apiv1.WithdrawStakeRequest_StakeOutpoint{StakeOutpoint: op}
	} else {
		req.Stake = &apiv1.WithdrawStakeRequest_TicketId{TicketId: id}
	}
	f := fields{"destination_address": "--to", "destination": "--to", "fee_rate_sat_vb": "--feerate",
		"ticket_id": "<ticket>", "stake_outpoint": "<ticket>", "psbt_only": "--psbt"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).WithdrawStake(ctx, req)
	})
}

// stakeArg reads a <ticket> argument: a ticket id, or a stake outpoint
// txid:vout (op set).
func stakeArg(ticket string) (id uint64, op string, err error) {
	if strings.Contains(ticket, ":") {
		op, err := outpoint("<ticket>", "stake outpoint's mainchain transaction", ticket)
		return 0, op, err
	}
	n, err := parseInt("<ticket>", ticket, 0, math.MaxInt64, "(a ticket id, or the stake outpoint txid:vout)")
	if err != nil {
		return 0, "", usagef("<ticket> %s: want a ticket id (sidecli stake list "+
			"shows them) or the stake outpoint txid:vout", quoteIfOdd(ticket))
	}
	return uint64(n), "", nil
}

type stakeRenewCommand struct {
	LockBlocks value  `long:"lock-blocks" unquote:"false" value-name:"BLOCKS" description:"Mainchain blocks the new stake stays locked, from the block after the tip; not with --signed-psbt, whose PSBT carries its lock"`
	FeeRate    value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Mainchain fee rate in sat/vB; default (or 0) the node's, 2; at most 10000"`
	Signed     string `long:"signed-psbt" unquote:"false" value-name:"BASE64" description:"The renewal PSBT this command printed, signed by the cold owner's wallet: check it and broadcast it"`
	Args       struct {
		Ticket arg `positional-arg-name:"ticket" description:"Ticket id, or the stake outpoint as txid:vout"`
	} `positional-args:"yes" required:"yes"`
	forceOption
	c *client
}

func (cmd *stakeRenewCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	var lock int64
	switch {
	case cmd.Signed != "" && cmd.LockBlocks.set:
		return usagef("--lock-blocks and --signed-psbt: the signed PSBT carries its lock; give one")
	case cmd.Signed == "" && !cmd.LockBlocks.set:
		return usagef("missing --lock-blocks: the new stake's lock, in mainchain blocks from the block after the tip")
	case cmd.Signed == "":
		var err error
		lock, err = parseInt("--lock-blocks", cmd.LockBlocks.raw, 1, int64(cmd.c.params.MaxStakeLock),
			"blocks (the most a stake can stay locked on "+cmd.c.params.Name+")")
		if err != nil {
			return err
		}
	}
	rate, err := mainFeeRate(cmd.FeeRate)
	if err != nil {
		return err
	}
	ticket := cmd.Args.Ticket.String()
	id, op, err := stakeArg(ticket)
	if err != nil {
		return err
	}
	req := &apiv1.RenewStakeRequest{LockBlocks: int32(lock), FeeRateSatVb: rate,
		SignedPsbt: strings.TrimSpace(cmd.Signed)}
	if op != "" {
		req.Stake = &apiv1.RenewStakeRequest_StakeOutpoint{StakeOutpoint: op}
	} else {
		req.Stake = &apiv1.RenewStakeRequest_TicketId{TicketId: id}
	}
	// A stake of the node's key is renewed at once; a cold one's PSBT
	// moves nothing until it comes back signed.
	what := fmt.Sprintf("the renewal of stake %s, locked again for %d mainchain blocks "+
		"(a cold-owner stake's is only printed as a PSBT until --signed-psbt gives it back),", ticket, lock)
	if cmd.Signed != "" {
		what = fmt.Sprintf("the broadcast of the signed renewal of stake %s", ticket)
	}
	if err := cmd.c.confirm(cmd.Force, "renew it", what); err != nil {
		return err
	}
	f := fields{"lock_blocks": "--lock-blocks", "fee_rate_sat_vb": "--feerate",
		"ticket_id": "<ticket>", "stake_outpoint": "<ticket>", "signed_psbt": "--signed-psbt"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).RenewStake(ctx, req)
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
