package cli

import (
	"context"
	"google.golang.org/grpc"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// followCommands are the subscriptions beside SubscriptionService's.
func followCommands() []commandSpec {
	return []commandSpec{
		{groupFollow, "subscribe deposits", "Follow the peg's deposits",
			"Print the mainchain tip, then every mainchain block the node " +
				"connects with the deposits the pegbox accepted in it " +
				"(connected, often with none), and every block a reorg " +
				"undoes (disconnected: drop its deposits), one JSON object " +
				"per line, until interrupted. With --height and --hash, " +
				"start after that mainchain block; with --all, replay every " +
				"deposit from the genesis block (PegService.SubscribeDeposits).",
			func(c *client) any { return &subscribeDepositsCommand{c: c} }},
		{groupFollow, "subscribe withdrawals", "Follow the peg's withdrawals",
			"Print the best sidechain's tip, then every sideblock that " +
				"joins the best chain with the withdrawals it holds " +
				"(connected, often with none), and every sideblock that " +
				"leaves it (disconnected: drop its withdrawals), one JSON " +
				"object per line, until interrupted. With --height and " +
				"--hash, start after that sideblock; with --all, from the " +
				"first (PegService.SubscribeWithdrawals). Follow one " +
				"withdrawal to its payout with peg status --wait.",
			func(c *client) any { return &subscribeWithdrawalsCommand{c: c} }},
		{groupFollow, "subscribe wallet", "Follow the wallet's mainchain transactions",
			"Print the mainchain tip, then every mainchain block the node " +
				"connects with the wallet's transactions it confirms " +
				"(connected, often with none), and every block a reorg " +
				"undoes (disconnected: its transactions are unconfirmed " +
				"again), one JSON object per line, until interrupted. " +
				"Amounts are in sat. With --height and --hash, start after " +
				"that mainchain block; with --all, replay the wallet's " +
				"history from the genesis block " +
				"(WalletService.SubscribeWalletTransactions).",
			func(c *client) any { return &subscribeWalletCommand{c: c} }},
	}
}

type subscribeWalletCommand struct {
	cursorOptions
	c *client
}

func (cmd *subscribeWalletCommand) Execute(args []string) error {
	cursor, err := cmd.mainCursor(cmd.c, args)
	if err != nil {
		return err
	}
	req := &apiv1.SubscribeWalletTransactionsRequest{Cursor: cursor}
	return cmd.c.stream(cursorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		return recvOf(apiv1.NewWalletServiceClient(conn).SubscribeWalletTransactions(ctx, req))
	})
}

type subscribeDepositsCommand struct {
	cursorOptions
	c *client
}

func (cmd *subscribeDepositsCommand) Execute(args []string) error {
	cursor, err := cmd.mainCursor(cmd.c, args)
	if err != nil {
		return err
	}
	req := &apiv1.SubscribeDepositsRequest{Cursor: cursor}
	return cmd.c.stream(cursorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		return recvOf(apiv1.NewPegServiceClient(conn).SubscribeDeposits(ctx, req))
	})
}

type subscribeWithdrawalsCommand struct {
	cursorOptions
	c *client
}

func (cmd *subscribeWithdrawalsCommand) Execute(args []string) error {
	cursor, err := cmd.sideCursor(args)
	if err != nil {
		return err
	}
	req := &apiv1.SubscribeWithdrawalsRequest{Cursor: cursor}
	return cmd.c.stream(cursorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		return recvOf(apiv1.NewPegServiceClient(conn).SubscribeWithdrawals(ctx, req))
	})
}
