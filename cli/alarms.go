package cli

import (
	"context"
	"math"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of the alarms and of the confirmations status.

func alarmCommands() []commandSpec {
	return []commandSpec{
		{groupNode, "alarms", "List the alarms that hold",
			"List the node's alarms that hold now, at most one per reason, " +
				"each with its reason, severity, message and when it was " +
				"raised (NodeService.ListAlarms). The reasons: sidechain_stalled, " +
				"suspected_censorship, federation_silent, payout_overdue, " +
				"supply_mismatch, backend_disconnected, backend_behind, " +
				"own_slots_missed, publisher_low, notarization_irregular, " +
				"notarization_inactive; their thresholds are the node's --alarms.* " +
				"options (the notarization ages are the network's).",
			func(c *client) any { return &alarmsCommand{c: c} }},
		{groupSidechain, "confirmations", "Show how final a sidechain transaction or block is",
			"Show the confirmations status of a sidechain transaction or " +
				"block, named by its txid, its hash or its height on the best " +
				"sidechain (SidechainService.GetConfirmations): confirmations, " +
				"the figure to act on (the smaller of the sidechain's " +
				"confirmations and the Bitcoin confirmations of the header's " +
				"publication; 0 outside the best sidechain; on a network with " +
				"notaries counted dPoW-style, 1 until notarized, unless the " +
				"node runs with --nodpowconfs), beside the raw " +
				"figures: raw_confirmations, side_confirmations, the anchor (the header " +
				"transaction on the mainchain and its confirmations), " +
				"notarized and the notarization that covers it, and " +
				"for a withdrawal whether it is proven and paid, with the " +
				"payout's confirmations.",
			func(c *client) any { return &confirmationsCommand{c: c} }},
		{groupFollow, "subscribe alarms", "Follow the node's alarms",
			"Print the alarms that hold (state), then every alarm raised or " +
				"cleared (changed), one JSON object per line, until " +
				"interrupted (NodeService.SubscribeAlarms).",
			func(c *client) any { return &subscribeAlarmsCommand{c: c} }},
	}
}

type alarmsCommand struct {
	c *client
}

func (cmd *alarmsCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).ListAlarms(ctx, &apiv1.ListAlarmsRequest{})
	})
}

type subscribeAlarmsCommand struct {
	c *client
}

func (cmd *subscribeAlarmsCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.stream(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		return recvOf(apiv1.NewNodeServiceClient(conn).SubscribeAlarms(ctx, &apiv1.SubscribeAlarmsRequest{}))
	})
}

type confirmationsCommand struct {
	Args struct {
		ID arg `positional-arg-name:"id" description:"Sidechain transaction id or block hash (64 hex digits), or a height on the best sidechain"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *confirmationsCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	req := &apiv1.GetConfirmationsRequest{}
	s := cmd.Args.ID.String()
	if len(s) == 64 {
		id, err := txid("<id>", "sidechain transaction id or block hash", s)
		if err != nil {
			return err
		}
		req.Target = &apiv1.GetConfirmationsRequest_Id{Id: id}
	} else {
		h, err := parseInt("<id>", s, 0, math.MaxInt32, "blocks (a sidechain height)")
		if err != nil {
			return usagef("<id> %s: want a sidechain transaction id or block hash "+
				"(64 hex digits) or a sidechain height, 0 or more", quoteIfOdd(s))
		}
		req.Target = &apiv1.GetConfirmationsRequest_Height{Height: int32(h)}
	}
	f := fields{"id": "<id>"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		resp, err := apiv1.NewSidechainServiceClient(conn).GetConfirmations(ctx, req)
		return resp, notFoundHint(err, "confirmations follows sidechain transactions "+
			"and blocks; a mainchain transaction's confirmations are btcd's to show")
	})
}
