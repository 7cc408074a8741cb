package cli

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of the node, its stakes and the lottery.

func nodeCommands() []commandSpec {
	return []commandSpec{
		{groupNode, "status", "Show the node's state",
			"Show the node's version, network, mainchain and sidechain tips, sync " +
				"state and stake summary (NodeService.GetInfo).",
			func(c *client) any { return &statusCommand{c: c} }},
		{groupNode, "statehash", "Show the state hash at a mainchain height",
			"Show the state hash after the mainchain block at --height, the " +
				"tip's without it (NodeService.GetStateHash): it commits to " +
				"all the state the node derived from the mainchain, so two " +
				"nodes at the same height can compare theirs. A node holds it " +
				"for its tip and the blocks below that it can still undo.",
			func(c *client) any { return &stateHashCommand{c: c} }},
		{groupLottery, "tickets", "List tickets",
			"List a page of the ticket index in chain order " +
				"(MainchainService.ListTickets).",
			func(c *client) any { return &ticketsCommand{c: c} }},
		{groupLottery, "winner", "Show the lottery winner after a mainchain block",
			"Show the ticket drawn after the mainchain block at <height> " +
				"(MainchainService.GetWinner).",
			func(c *client) any { return &winnerCommand{c: c} }},
		{groupLottery, "publication", "Show the header publication in a mainchain block",
			"Show the sidechain header that counts in the mainchain block at " +
				"<height> (MainchainService.GetPublication).",
			func(c *client) any { return &publicationCommand{c: c} }},
		{groupLottery, "publications", "List the header publications",
			"List a page of the mainchain blocks that hold a header " +
				"publication that counted, lowest first " +
				"(MainchainService.ListPublications).",
			func(c *client) any { return &publicationsCommand{c: c} }},
		{groupLottery, "missed", "List the missed slots",
			"List a page of the missed slots, lowest first: the draws whose " +
				"winner published no header that counted in the next " +
				"mainchain block (MainchainService.ListMissedSlots). Those of " +
				"this node's tickets carry miss_reason: late, not synced, fee " +
				"too low, not included, not mined, no funds, chain ended, ... " +
				"(docs/protocol.md lists them).",
			func(c *client) any { return &missedCommand{c: c} }},
	}
}

// pageOptions are the paging options of the list commands.
type pageOptions struct {
	Offset   value `long:"offset" unquote:"false" value-name:"N" description:"Skip this many items (from the newest with --reversed); default 0"`
	Limit    value `long:"limit" unquote:"false" value-name:"N" description:"Return at most this many items; default (or 0) the node's page size"`
	Reversed bool  `long:"reversed" description:"List the newest first"`
}

// listPage runs a list command that takes the paging options and no
// argument: call makes the request for the page at off, of at most lim
// items.
func (o *pageOptions) listPage(c *client, args []string,
	call func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error)) error {

	if err := noArgs(args); err != nil {
		return err
	}
	off, lim, err := o.page()
	if err != nil {
		return err
	}
	return c.run(pageFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return call(ctx, conn, off, lim)
	})
}

// page parses the paging options.
func (o *pageOptions) page() (offset uint64, limit uint32, err error) {
	off, err := optional("--offset", o.Offset, 0, 1<<62, "items")
	if err != nil {
		return 0, 0, err
	}
	lim, err := optional("--limit", o.Limit, 0, 1<<32-1, "items")
	return uint64(off), uint32(lim), err
}

type statusCommand struct{ c *client }

func (cmd *statusCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).GetInfo(ctx, &apiv1.GetInfoRequest{})
	})
}

type stateHashCommand struct {
	Height value `long:"height" unquote:"false" value-name:"HEIGHT" description:"Mainchain block height; default the tip's"`
	c      *client
}

func (cmd *stateHashCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	tip := !cmd.Height.set
	var h int32
	if !tip {
		var err error
		if h, err = mainHeight("--height", cmd.Height.raw); err != nil {
			return err
		}
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		if tip {
			info, err := apiv1.NewNodeServiceClient(conn).GetInfo(ctx, &apiv1.GetInfoRequest{})
			if err != nil {
				return nil, err
			}
			if h = info.GetMainchain().GetTipHeight(); h < 0 {
				return nil, errors.New("the node has connected no mainchain block yet")
			}
		}
		return apiv1.NewNodeServiceClient(conn).GetStateHash(ctx, &apiv1.GetStateHashRequest{Height: h})
	})
}

type ticketsCommand struct {
	pageOptions
	c *client
}

func (cmd *ticketsCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).ListTickets(ctx, &apiv1.ListTicketsRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

// heightArg is the positional <height> argument.
type heightArg struct {
	Height arg `positional-arg-name:"height" description:"Mainchain block height"`
}

type winnerCommand struct {
	Args heightArg `positional-args:"yes" required:"yes"`
	c    *client
}

func (cmd *winnerCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	h, err := mainHeight("<height>", cmd.Args.Height.String())
	if err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).GetWinner(ctx, &apiv1.GetWinnerRequest{Height: h})
	})
}

type publicationCommand struct {
	Args heightArg `positional-args:"yes" required:"yes"`
	c    *client
}

func (cmd *publicationCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	h, err := mainHeight("<height>", cmd.Args.Height.String())
	if err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).GetPublication(ctx, &apiv1.GetPublicationRequest{Height: h})
	})
}

type publicationsCommand struct {
	pageOptions
	c *client
}

func (cmd *publicationsCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).ListPublications(ctx, &apiv1.ListPublicationsRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

type missedCommand struct {
	pageOptions
	c *client
}

func (cmd *missedCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}
