package cli

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of PoolService, for a node that runs a mining pool.

// maxWorkerArg bounds the worker name sidecli sends: the API's own bound
// (api.MaxWorkerName).
const maxWorkerArg = 256

func poolCommands() []commandSpec {
	return []commandSpec{
		{groupMining, "pool stats", "Show the pool's hashrate, shares and balances",
			"Show the node's mining pool (PoolService.GetPoolStats): the " +
				"Stratum connections and workers, an estimate of the pool's " +
				"hashes a second, the shares accepted and refused by Stratum " +
				"error code (20 other and bad ntime, 21 stale, 22 duplicate, " +
				"23 low difficulty, 24 unauthorized, 25 not subscribed), the " +
				"payout scheme and fee, the blocks found by status, what the " +
				"pool owes and has paid, in sat, and whether the audit " +
				"balances. The node must run with --stratum.",
			func(c *client) any { return &poolStatsCommand{c: c} }},
		{groupMining, "pool workers", "List the pool's workers",
			"List a page of the pool's workers by name, or the one named " +
				"<worker>, each with its payout address, hashrate estimate, " +
				"shares accepted and refused by code, last share, the " +
				"difficulty in force on its connection and the mean " +
				"difficulty of its accepted shares, " +
				"connections, and what it is owed and was paid, in sat " +
				"(PoolService.ListPoolWorkers).",
			func(c *client) any { return &poolWorkersCommand{c: c} }},
		{groupMining, "pool blocks", "List the blocks the pool found",
			"List a page of the blocks the pool found, oldest first, each " +
				"pending, confirmed or orphaned, with its reward in sat, the " +
				"worker that found it and its confirmations " +
				"(PoolService.ListPoolBlocks).",
			func(c *client) any { return &poolBlocksCommand{c: c} }},
		{groupMining, "pool audit", "Check the pool's accounts block by block",
			"Check, for every block the pool found, that what it earned is " +
				"what was paid, what is owed and the pool's fee, to the " +
				"satoshi; show the totals and a page of the blocks, oldest " +
				"first (PoolService.GetPoolAudit). sidecli exits with 4 when " +
				"the audit does not balance.",
			func(c *client) any { return &poolAuditCommand{c: c} }},
		{groupMining, "pool payouts", "List the pool's payouts",
			"List a page of the pool's payout transactions on the sidechain, " +
				"oldest first, with what each paid every worker, in sat " +
				"(PoolService.ListPoolPayouts).",
			func(c *client) any { return &poolPayoutsCommand{c: c} }},
	}
}

type poolStatsCommand struct{ c *client }

func (cmd *poolStatsCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPoolServiceClient(conn).GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
	})
}

type poolWorkersCommand struct {
	pageOptions
	Args struct {
		Worker arg `positional-arg-name:"worker" description:"Show this worker alone: the name miners authorize with"`
	} `positional-args:"yes"`
	c *client
}

func (cmd *poolWorkersCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	name := cmd.Args.Worker.String()
	if name != "" && (cmd.Offset.set || cmd.Limit.set || cmd.Reversed) {
		return usagef("give <worker> or the paging options (--offset, --limit, " +
			"--reversed), not both")
	}
	if len(name) > maxWorkerArg {
		return usagef("<worker> has %d bytes, more than a worker name may (%d)",
			len(name), maxWorkerArg)
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	return cmd.c.run(pageFields.with(fields{"worker": "<worker>"}), func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPoolServiceClient(conn).ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed, Worker: name,
		})
	})
}

type poolBlocksCommand struct {
	pageOptions
	c *client
}

func (cmd *poolBlocksCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewPoolServiceClient(conn).ListPoolBlocks(ctx, &apiv1.ListPoolBlocksRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

type poolAuditCommand struct {
	pageOptions
	c *client
}

func (cmd *poolAuditCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	resp, err := cmd.c.call(pageFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPoolServiceClient(conn).GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	}, true)
	if err != nil {
		return err
	}
	if a := resp.(*apiv1.GetPoolAuditResponse); !a.GetOk() {
		return &cliError{code: ExitInvalid, msg: "the pool's audit does not balance: " +
			"see the blocks whose ok is false"}
	}
	return nil
}

type poolPayoutsCommand struct {
	pageOptions
	c *client
}

func (cmd *poolPayoutsCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewPoolServiceClient(conn).ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}
