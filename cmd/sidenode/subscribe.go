package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of the slot lists and of the subscriptions.

type publicationsCommand struct {
	pageOptions
	c *client
}

func (cmd *publicationsCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).ListPublications(ctx, &apiv1.ListPublicationsRequest{
			Offset: cmd.Offset, Limit: cmd.Limit, Reversed: cmd.Reversed,
		})
	})
}

type missedCommand struct {
	pageOptions
	c *client
}

func (cmd *missedCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{
			Offset: cmd.Offset, Limit: cmd.Limit, Reversed: cmd.Reversed,
		})
	})
}

// cursorOptions name the block a subscription resumes after.
type cursorOptions struct {
	Height int64  `long:"height" description:"Height of the last block seen; with --hash"`
	Hash   string `long:"hash" description:"Hash of the last block seen: the stream starts after it"`
	All    bool   `long:"all" description:"Start from the chain's first block"`
}

// check rejects options that name no cursor or two.
func (o *cursorOptions) check() error {
	switch {
	case o.All && o.Hash != "":
		return errors.New("--all and --hash both say where to start: give one")
	case o.Hash == "" && o.Height != 0:
		return errors.New("--height needs --hash, the hash of the block at that height")
	case o.Height < 0:
		return fmt.Errorf("--height %d is negative", o.Height)
	}
	return nil
}

// streamContext, when set, derives the context of every subscription
// stream: tests end their streams with it.
var streamContext func(context.Context) context.Context

// recvFunc receives one message of a stream.
type recvFunc func() (proto.Message, error)

// stream connects, opens a stream with open and prints each message as
// one line of JSON until the stream ends or the user interrupts (SIGINT
// or SIGTERM), which is a success. --timeout does not apply: a stream
// runs until then.
func (c *client) stream(open func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error)) error {
	cfg, err := c.connection()
	if err != nil {
		return err
	}
	conn, err := api.Dial(cfg)
	if err != nil {
		return err
	}
	defer conn.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if streamContext != nil {
		ctx = streamContext(ctx)
	}
	recv, err := open(ctx, conn)
	for err == nil {
		var msg proto.Message
		if msg, err = recv(); err == nil {
			err = printJSONLine(c.stdout, msg)
		}
	}
	switch {
	case ctx.Err() != nil && status.Code(err) == codes.Canceled:
		return nil // interrupted
	case errors.Is(err, io.EOF):
		return nil // the server ended the stream
	}
	return callError(cfg.Address, err)
}

// printJSONLine prints m as JSON on one line, with the proto field names
// and every field, as printJSON does.
func printJSONLine(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

type subscribeSideblocksCommand struct {
	cursorOptions
	c *client
}

func (cmd *subscribeSideblocksCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if err := cmd.check(); err != nil {
		return err
	}
	req := &apiv1.SubscribeSideblocksRequest{}
	switch {
	case cmd.All:
		req.Cursor = &apiv1.SidechainBlockRef{Hash: strings.Repeat("0", 64)}
	case cmd.Hash != "":
		req.Cursor = &apiv1.SidechainBlockRef{Height: uint64(cmd.Height), Hash: cmd.Hash}
	}
	return cmd.c.stream(func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		s, err := apiv1.NewSubscriptionServiceClient(conn).SubscribeSideblocks(ctx, req)
		if err != nil {
			return nil, err
		}
		return func() (proto.Message, error) { return s.Recv() }, nil
	})
}

type subscribeLotteryCommand struct {
	cursorOptions
	c *client
}

func (cmd *subscribeLotteryCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if err := cmd.check(); err != nil {
		return err
	}
	if cmd.Height > 1<<31-1 {
		return fmt.Errorf("--height %d is not a mainchain height", cmd.Height)
	}
	req := &apiv1.SubscribeLotteryRequest{}
	switch {
	case cmd.All:
		params, err := chainparams.ByName(cmd.c.opts.Network)
		if err != nil {
			return err
		}
		req.Cursor = &apiv1.MainchainBlockRef{Height: 0, Hash: params.Main.GenesisHash.String()}
	case cmd.Hash != "":
		req.Cursor = &apiv1.MainchainBlockRef{Height: int32(cmd.Height), Hash: cmd.Hash}
	}
	return cmd.c.stream(func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		s, err := apiv1.NewSubscriptionServiceClient(conn).SubscribeLottery(ctx, req)
		if err != nil {
			return nil, err
		}
		return func() (proto.Message, error) { return s.Recv() }, nil
	})
}
