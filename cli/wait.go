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
	_, err := c.waitFor(f, check)
	return err
}

// waitFor is wait that also returns the answer it printed.
func (c *client) waitFor(f fields, check checkFunc) (proto.Message, error) {
	cn, err := c.dial()
	if err != nil {
		return nil, err
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
		return nil, c.callErr(cn, err, f)
	}
	if _, err := stream.Recv(); err != nil {
		return nil, c.callErr(cn, err, f)
	}
	last := ""
	for {
		callCtx, cancel := context.WithTimeout(ctx, c.timeout)
		done, progress, resp, err := check(callCtx, cn)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted while waiting: %s", last)
			}
			return nil, c.callErr(cn, err, f)
		}
		if done {
			return resp, printJSON(c.stdout, resp)
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
				return nil, fmt.Errorf("interrupted while waiting: %s", last)
			}
			return nil, c.callErr(cn, err, f)
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

// depositProgress says where an accepted deposit stands, for a wait.
func depositProgress(d *apiv1.Deposit) string {
	switch d.GetStatus() {
	case apiv1.DepositStatus_DEPOSIT_STATUS_CONFIRMING:
		// The deposit matures at mature_height: its confirmations then
		// are mature_height - conf_height + 1.
		return fmt.Sprintf("the deposit is confirming: %d of %d confirmations",
			d.GetConfirmations(), d.GetMatureHeight()-d.GetConfHeight()+1)
	case apiv1.DepositStatus_DEPOSIT_STATUS_MATURED:
		return "the deposit is matured: waiting for the sideblock that mints it"
	}
	return fmt.Sprintf("the deposit has a status this sidecli does not know (%d)", d.GetStatus())
}

// unseenDepositProgress says that the node has not seen the deposit
// named yet, for a wait.
func unseenDepositProgress(name string, tip int32) string {
	return fmt.Sprintf("the node has not seen deposit %s yet: waiting for it "+
		"to be mined (mainchain tip %d)", name, tip)
}

// waitForDeposit waits until the deposit req names is minted or refused,
// and prints it; a refused deposit ends with an error (ExitNodeError)
// that gives the reason. A deposit the node does not know is waited for:
// it may not be mined yet. name is the deposit as the user typed it.
func (c *client) waitForDeposit(f fields, req *apiv1.GetDepositRequest, name string) error {
	resp, err := c.waitFor(f, func(ctx context.Context, conn grpc.ClientConnInterface) (bool, string, proto.Message, error) {
		resp, err := apiv1.NewPegServiceClient(conn).GetDeposit(ctx, req)
		if status.Code(err) == codes.NotFound {
			info, err := apiv1.NewNodeServiceClient(conn).GetInfo(ctx, &apiv1.GetInfoRequest{})
			if err != nil {
				return false, "", nil, err
			}
			return false, unseenDepositProgress(name, info.GetMainchain().GetTipHeight()), nil, nil
		}
		if err != nil {
			return false, "", nil, err
		}
		if resp.GetRefused() != nil {
			return true, "", resp, nil
		}
		d := resp.GetAccepted()
		return d.GetStatus() == apiv1.DepositStatus_DEPOSIT_STATUS_MINTED, depositProgress(d), resp, nil
	})
	if err != nil {
		return err
	}
	if r := resp.(*apiv1.GetDepositResponse).GetRefused(); r != nil {
		reason := translate(r.GetMessage(), nil)
		if reason == "" {
			reason = translate(r.GetReason(), nil)
		}
		return &cliError{code: ExitNodeError, msg: "the deposit was refused and " +
			"will never be minted: " + reason}
	}
	return nil
}
