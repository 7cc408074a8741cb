package cli

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The peers group: the operator's bans of the peer protocol and the
// addresses the node discouraged because a session from them misbehaved.
func peerCommands() []commandSpec {
	return []commandSpec{
		{groupPeers, "bans list", "List the bans and discouraged addresses",
			"List the operator's bans, then the addresses discouraged " +
				"because a session from them misbehaved, with when each " +
				"ends (NodeService.ListBans). The read-only credential " +
				"suffices.",
			func(c *client) any { return &bansListCommand{c: c} }},
		{groupPeers, "bans add", "Ban an address from the peer protocol",
			"Ban <target> from the peer protocol for --duration: close its " +
				"sessions, and accept or dial none, not even a configured " +
				"peer's, until the ban ends or is removed. <target> is an IP, " +
				"a subnet (192.0.2.0/24) or a host name, each meaning every " +
				"port, or one of them with a port (127.0.0.1:18555, " +
				"[::1]:18555). The node never bans on its own: a session " +
				"that misbehaves is closed and its address only discouraged. " +
				"The ban is kept in bans.json in the node's data dir and " +
				"outlasts a restart; a discouragement does not. " +
				"Needs the admin credential (NodeService.BanPeer).",
			func(c *client) any { return &bansAddCommand{c: c} }},
		{groupPeers, "bans remove", "Lift a ban or a discouragement",
			"Lift the ban and the discouragement of <target>, written as " +
				"bans list shows it; a configured peer it frees is dialled " +
				"at once. Needs the admin credential (NodeService.UnbanPeer).",
			func(c *client) any { return &bansRemoveCommand{c: c} }},
	}
}

// banFields name the ban requests' fields as the user typed them.
var banFields = fields{"target": "<target>", "duration_seconds": "--duration",
	"reason": "--reason"}

type banTargetArg struct {
	Target arg `positional-arg-name:"target" description:"IP, subnet or host name, with an optional port"`
}

// target checks the <target> argument.
func (a banTargetArg) target() (string, error) {
	t := a.Target.String()
	switch {
	case t == "":
		return "", usagef("<target> is empty: give an IP, a subnet or a host name, with an optional port")
	case strings.ContainsAny(t, " \t\n"):
		return "", usagef("<target> %s holds a space: give one IP, subnet or host name", quoteIfOdd(t))
	}
	return t, nil
}

type bansListCommand struct{ c *client }

func (cmd *bansListCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(banFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).ListBans(ctx, &apiv1.ListBansRequest{})
	})
}

type bansAddCommand struct {
	Duration value        `long:"duration" unquote:"false" value-name:"DURATION" description:"How long the ban lasts, in whole seconds written as 90m, 24h or 720h; at most 87600h (10 years); default 24h"`
	Reason   string       `long:"reason" unquote:"false" value-name:"TEXT" description:"A note listed with the ban, at most 256 bytes"`
	Args     banTargetArg `positional-args:"yes" required:"yes"`
	c        *client
}

func (cmd *bansAddCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	target, err := cmd.Args.target()
	if err != nil {
		return err
	}
	// 0 asks for the node's default, 24 h.
	d, err := duration("--duration", cmd.Duration, 0)
	if err != nil {
		return err
	}
	switch {
	case d%time.Second != 0:
		return usagef("--duration %v: want whole seconds", d)
	case d > api.MaxBanSeconds*time.Second:
		return usagef("--duration %v is above the maximum, 87600h (10 years)", d)
	case len(cmd.Reason) > api.MaxBanReasonLen:
		return usagef("--reason of %d bytes is above the maximum, %d bytes",
			len(cmd.Reason), api.MaxBanReasonLen)
	}
	req := &apiv1.BanPeerRequest{Target: target,
		DurationSeconds: uint64(d / time.Second), Reason: cmd.Reason}
	return cmd.c.run(banFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
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
	target, err := cmd.Args.target()
	if err != nil {
		return err
	}
	return cmd.c.run(banFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).UnbanPeer(ctx,
			&apiv1.UnbanPeerRequest{Target: target})
	})
}
