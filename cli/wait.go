package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// checkFunc looks once at what a --wait waits for: done with the answer
// to print, or a progress line saying where it stands.
type checkFunc func(ctx context.Context, conn grpc.ClientConnInterface) (done bool, progress string, resp proto.Message, err error)

// waitProgress, when set, sees every progress line a wait prints: tests
// move the fake node on from it.
var waitProgress func(line string)

// wait follows the node instead of polling it: it checks once, then again
// after every change of the node's mainchain (SubscriptionService's
// lottery stream, which also carries every sideblock publication), until
// check says done; it then prints the answer as JSON. While it waits it
// prints a progress line to stderr whenever where it stands changes. An
// interrupt (SIGINT, SIGTERM) ends the wait with an error that says where
// it stood. --timeout applies to each call, not to the wait.
func (c *client) wait(f fields, check checkFunc) error {
	cn, err := c.dial()
	if err != nil {
		return err
	}
	defer cn.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if streamContext != nil {
		ctx = streamContext(ctx)
	}
	// The stream is opened first, so that no change between the check
	// and the subscription goes unseen: its first message is the tip.
	stream, err := apiv1.NewSubscriptionServiceClient(cn).SubscribeLottery(ctx,
		&apiv1.SubscribeLotteryRequest{})
	if err != nil {
		return c.callErr(cn, err, f)
	}
	if _, err := stream.Recv(); err != nil {
		return c.callErr(cn, err, f)
	}
	last := ""
	for {
		callCtx, cancel := context.WithTimeout(ctx, c.timeout)
		done, progress, resp, err := check(callCtx, cn)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted while waiting: %s", last)
			}
			return c.callErr(cn, err, f)
		}
		if done {
			return printJSON(c.stdout, resp)
		}
		if progress != last {
			fmt.Fprintf(c.stderr, "sidecli: waiting: %s\n", progress)
			last = progress
			if waitProgress != nil {
				waitProgress(progress)
			}
		}
		if _, err := stream.Recv(); err != nil {
			if ctx.Err() != nil && status.Code(err) == codes.Canceled {
				return fmt.Errorf("interrupted while waiting: %s", last)
			}
			return c.callErr(cn, err, f)
		}
	}
}

// withdrawalProgress says where a withdrawal stands, for a wait.
func withdrawalProgress(w *apiv1.GetWithdrawalResponse) string {
	switch w.GetStage() {
	case apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PENDING:
		return "the withdrawal is pending in the sidechain mempool"
	case apiv1.WithdrawalStage_WITHDRAWAL_STAGE_INCLUDED:
		return fmt.Sprintf("the withdrawal is included in sideblock %d: %d of %d "+
			"sideblocks deep, its publication %d of %d confirmations deep",
			w.GetSideBlockHeight(), w.GetSideBlockDepth(), w.GetRequiredSideDepth(),
			w.GetPublicationConfirmations(), w.GetRequiredConfirmations())
	case apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAYABLE:
		return "the withdrawal is payable: waiting for the federation's payout"
	}
	return "the withdrawal is at stage " + w.GetStage().String()
}

// stakeProgress says where a registration stands, for a wait.
func stakeProgress(txid string, tip int32) string {
	return fmt.Sprintf("registration %s has no ticket yet (mainchain tip %d)", txid, tip)
}

// waitForTicket waits until the registration txid has made a ticket of
// the wallet's, and prints the ticket.
func (c *client) waitForTicket(txid string) error {
	return c.wait(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (bool, string, proto.Message, error) {
		// A new ticket is among the wallet's newest.
		stakes, err := apiv1.NewWalletServiceClient(conn).ListStakes(ctx,
			&apiv1.ListStakesRequest{Limit: 100, Reversed: true})
		if err != nil {
			return false, "", nil, err
		}
		for _, t := range stakes.GetTickets() {
			if t.GetTxid() == txid {
				return true, "", t, nil
			}
		}
		info, err := apiv1.NewNodeServiceClient(conn).GetInfo(ctx, &apiv1.GetInfoRequest{})
		if err != nil {
			return false, "", nil, err
		}
		return false, stakeProgress(txid, info.GetMainchain().GetTipHeight()), nil, nil
	})
}
