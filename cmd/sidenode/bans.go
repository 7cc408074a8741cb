package main

import (
	"context"
	"fmt"
	"time"

	flags "github.com/jessevdk/go-flags"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// addBanCommands adds "bans" and its subcommands to the client's parser.
func addBanCommands(p *flags.Parser, c *client) {
	add := func(parent interface {
		AddCommand(string, string, string, any) (*flags.Command, error)
	}, name, short, long string, data any) *flags.Command {
		cmd, err := parent.AddCommand(name, short, long, data)
		if err != nil {
			panic(err)
		}
		return cmd
	}
	bans := add(p, "bans", "List, add and remove peer bans",
		"List, add and remove the bans of the peer protocol. The node "+
			"never bans on its own: a peer session that misbehaves is "+
			"closed and its address discouraged (its inbound sessions "+
			"get only spare room and are the first closed to make room); "+
			"only the operator bans.", &struct{}{})
	add(bans, "list", "List the bans and discouraged addresses",
		"List the operator's bans, then the addresses discouraged "+
			"because a session from them misbehaved, with when each "+
			"ends (NodeService.ListBans).",
		&bansListCommand{c: c})
	add(bans, "add", "Ban an address",
		"Ban <target> from the peer protocol for --duration: close its "+
			"sessions, and accept or dial none, not even a configured "+
			"peer's, until the ban ends or is removed. <target> is an IP, "+
			"a subnet (192.0.2.0/24) or a host name, each meaning every "+
			"port, or one of them with a port (127.0.0.1:18555, "+
			"[::1]:18555). Needs the admin credential (NodeService.BanPeer).",
		&bansAddCommand{c: c})
	add(bans, "remove", "Lift a ban or discouragement",
		"Lift the ban and the discouragement of <target>, as bans list "+
			"shows it; a configured peer it frees is dialled at once. "+
			"Needs the admin credential (NodeService.UnbanPeer).",
		&bansRemoveCommand{c: c})
}

type banTargetArg struct {
	Target string `positional-arg-name:"target" description:"IP, subnet or host name, with an optional port"`
}

type bansListCommand struct{ c *client }

func (cmd *bansListCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).ListBans(ctx, &apiv1.ListBansRequest{})
	})
}

type bansAddCommand struct {
	Duration time.Duration `long:"duration" description:"How long the ban lasts, e.g. 90m, 24h or 720h; whole seconds, at most 87600h (10 years); 0 means the node's default, 24h"`
	Reason   string        `long:"reason" description:"A note listed with the ban, at most 256 bytes"`
	Args     banTargetArg  `positional-args:"yes" required:"yes"`
	c        *client
}

func (cmd *bansAddCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	d := cmd.Duration
	switch {
	case d < 0, d%time.Second != 0:
		return fmt.Errorf("--duration %v: want whole seconds, 0 or more", d)
	case d > api.MaxBanSeconds*time.Second:
		return fmt.Errorf("--duration %v: at most %v (10 years)", d,
			api.MaxBanSeconds*time.Second)
	case len(cmd.Reason) > api.MaxBanReasonLen:
		return fmt.Errorf("--reason of %d bytes: at most %d bytes",
			len(cmd.Reason), api.MaxBanReasonLen)
	}
	req := &apiv1.BanPeerRequest{Target: cmd.Args.Target,
		DurationSeconds: uint64(d / time.Second), Reason: cmd.Reason}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).BanPeer(ctx, req)
	})
}

type bansRemoveCommand struct {
	Args banTargetArg `positional-args:"yes" required:"yes"`
	c    *client
}

func (cmd *bansRemoveCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).UnbanPeer(ctx,
			&apiv1.UnbanPeerRequest{Target: cmd.Args.Target})
	})
}
