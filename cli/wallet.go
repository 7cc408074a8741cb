package cli

import (
	"context"
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
			"Show the wallet's mainchain balance, in sat (WalletService.GetBalance).",
			func(c *client) any { return &balanceCommand{c: c} }},
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
	MinConf value `long:"minconf" unquote:"false" value-name:"N" description:"Confirmations (mainchain blocks) a coin needs to count as spendable; default (or 0) 1"`
	c       *client
}

func (cmd *balanceCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	minConf, err := optional("--minconf", cmd.MinConf, 0, math.MaxInt32, "confirmations")
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
	c          *client
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
	if err := noArgs(args); err != nil {
		return err
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	return cmd.c.run(pageFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
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
