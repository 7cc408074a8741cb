package cli

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The operator's commands: stop and debuglevel in the node group, the
// peer sessions in the peers group (OperatorService).
func operatorCommands() []commandSpec {
	return []commandSpec{
		{groupNode, "stop", "Shut the node down",
			"Shut the node down cleanly, as SIGINT does: it answers, then " +
				"stops every service, flushes its store and exits. Needs " +
				"the admin credential (OperatorService.StopDaemon).",
			func(c *client) any { return &stopCommand{c: c} }},
		{groupNode, "debuglevel", "Show or set the log levels",
			"Without an argument (or with --show), list every logging " +
				"subsystem with its level (OperatorService.GetDebugLevel). " +
				"With <spec>, set levels as --debuglevel does: a level for " +
				"every subsystem (info), SUBSYSTEM=level for one " +
				"(PEER=debug), or both, comma-separated " +
				"(info,PEER=debug,RPCS=trace). Levels are trace, debug, " +
				"info, warn, error, critical and off. Setting needs the " +
				"admin credential (OperatorService.SetDebugLevel).",
			func(c *client) any { return &debugLevelCommand{c: c} }},
		{groupPeers, "peers list", "List the peer sessions",
			"List the handshaken sessions of the sidechain peer protocol, " +
				"with their ids, addresses and direction " +
				"(OperatorService.ListPeers). The read-only credential " +
				"suffices.",
			func(c *client) any { return &peersListCommand{c: c} }},
		{groupPeers, "peers connect", "Dial a peer once",
			"Dial <address> (host:port, such as 192.0.2.7:18555 or " +
				"[::1]:18555) and wait for the handshake; print the new " +
				"session. The session is not redialled when it ends: " +
				"configure --addpeer for a peer to keep. A banned address " +
				"is refused. Needs the admin credential " +
				"(OperatorService.ConnectPeer).",
			func(c *client) any { return &peersConnectCommand{c: c} }},
		{groupPeers, "peers disconnect", "Close the sessions with a peer",
			"Close the sessions with <peer>, a session id or an address as " +
				"peers list shows them. A configured peer (--connect, " +
				"--addpeer) is dialled again after its retry interval: ban " +
				"it to keep it away. Needs the admin credential " +
				"(OperatorService.DisconnectPeer).",
			func(c *client) any { return &peersDisconnectCommand{c: c} }},
	}
}

// operatorFields name the operator requests' fields as the user typed
// them.
var operatorFields = fields{"level_spec": "<spec>", "address": "<address>",
	"peer": "<peer>"}

type stopCommand struct{ c *client }

func (cmd *stopCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewOperatorServiceClient(conn).StopDaemon(ctx, &apiv1.StopDaemonRequest{})
	})
}

type debugLevelCommand struct {
	Show bool `long:"show" description:"List the subsystems and their levels (the default without <spec>)"`
	Args struct {
		Spec arg `positional-arg-name:"spec" description:"Levels to set: info, PEER=debug, or info,PEER=debug"`
	} `positional-args:"yes"`
	c *client
}

func (cmd *debugLevelCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	spec := strings.TrimSpace(cmd.Args.Spec.String())
	switch {
	case cmd.Show && spec != "":
		return usagef("--show lists the levels and <spec> sets them: give one")
	case spec == "" && cmd.Args.Spec != "":
		return usagef("<spec> is empty: give a level such as info, or PEER=debug")
	case spec == "" || spec == "show":
		return cmd.c.run(operatorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
			return apiv1.NewOperatorServiceClient(conn).GetDebugLevel(ctx, &apiv1.GetDebugLevelRequest{})
		})
	case strings.ContainsAny(spec, " \t\n"):
		return usagef("<spec> %s holds a space: separate entries with commas (info,PEER=debug)", quoteIfOdd(spec))
	}
	return cmd.c.run(operatorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewOperatorServiceClient(conn).SetDebugLevel(ctx,
			&apiv1.SetDebugLevelRequest{LevelSpec: spec})
	})
}

type peersListCommand struct{ c *client }

func (cmd *peersListCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(operatorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewOperatorServiceClient(conn).ListPeers(ctx, &apiv1.ListPeersRequest{})
	})
}

type peersConnectCommand struct {
	Args struct {
		Address arg `positional-arg-name:"address" description:"The peer's host:port"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *peersConnectCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	addr := cmd.Args.Address.String()
	switch {
	case addr == "":
		return usagef("<address> is empty: give the peer's host:port, such as 192.0.2.7:18555")
	case strings.ContainsAny(addr, " \t\n"):
		return usagef("<address> %s holds a space: give one host:port", quoteIfOdd(addr))
	}
	return cmd.c.run(operatorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewOperatorServiceClient(conn).ConnectPeer(ctx,
			&apiv1.ConnectPeerRequest{Address: addr})
	})
}

type peersDisconnectCommand struct {
	Args struct {
		Peer arg `positional-arg-name:"peer" description:"A session id or an address, as peers list shows them"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *peersDisconnectCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	peer := cmd.Args.Peer.String()
	if strings.TrimSpace(peer) == "" {
		return usagef("<peer> is empty: give a session id or an address as peers list shows them")
	}
	return cmd.c.run(operatorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewOperatorServiceClient(conn).DisconnectPeer(ctx,
			&apiv1.DisconnectPeerRequest{Peer: peer})
	})
}
