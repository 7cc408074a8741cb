package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of the subscriptions.

func subscribeCommands() []commandSpec {
	return []commandSpec{
		{groupFollow, "subscribe sideblocks", "Follow the best sidechain",
			"Print the best sidechain's tip, then every block that joins " +
				"(connected) or leaves (disconnected) it, one JSON object " +
				"per line, until interrupted. With --height and --hash, " +
				"start after that block, the last one seen; with --all, " +
				"from the first block (SubscriptionService.SubscribeSideblocks).",
			func(c *client) any { return &subscribeSideblocksCommand{c: c} }},
		{groupFollow, "subscribe lottery", "Follow the lottery's draws",
			"Print the mainchain tip, then the draw after every mainchain " +
				"block the node connects (connected) and every block a " +
				"reorg undoes (disconnected), one JSON object per line, " +
				"until interrupted. With --height and --hash, start after " +
				"that block; with --all, from the genesis block " +
				"(SubscriptionService.SubscribeLottery).",
			func(c *client) any { return &subscribeLotteryCommand{c: c} }},
	}
}

// cursorOptions name the block a subscription resumes after.
type cursorOptions struct {
	Height value  `long:"height" unquote:"false" value-name:"HEIGHT" description:"Height of the last block seen, on the chain followed; with --hash"`
	Hash   string `long:"hash" unquote:"false" value-name:"HASH" description:"Hash of the last block seen: the stream starts after it"`
	All    bool   `long:"all" description:"Start from the chain's first block"`
}

// cursor checks the options and returns the cursor's height and hash;
// hash is empty when the options name none.
func (o *cursorOptions) cursor(chain string, maxHeight int64) (height int64, hash string, err error) {
	switch {
	case o.All && o.Hash != "":
		return 0, "", usagef("--all and --hash both say where to start: give one")
	case o.Hash == "" && o.Height.set:
		return 0, "", usagef("--height needs --hash, the hash of the block at that height")
	case o.Hash == "":
		return 0, "", nil
	}
	if o.Height.set {
		if height, err = parseInt("--height", o.Height.raw, 0, maxHeight, "blocks (a "+chain+" height)"); err != nil {
			return 0, "", err
		}
	}
	hash, err = txid("--hash", chain+" block hash", o.Hash)
	return height, hash, err
}

// cursorFields name the cursor in the node's messages.
var cursorFields = fields{"cursor.hash": "--hash", "cursor.height": "--height", "cursor.block_height": "--height"}

// streamContext, when set, derives the context of every subscription
// stream: tests end their streams with it.
var streamContext func(context.Context) context.Context

// recvFunc receives one message of a stream.
type recvFunc func() (proto.Message, error)

// stream connects, opens a stream with open and prints each message as
// one line of JSON until the stream ends or the user interrupts (SIGINT
// or SIGTERM), which is a success. --timeout does not apply: a stream
// runs until then.
func (c *client) stream(f fields, open func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error)) error {
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
	recv, err := open(ctx, cn)
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
	return c.callErr(cn, err, f)
}

// printJSONLine prints m as JSON on one line, with the proto field names
// and every field, as printJSON does.
func printJSONLine(w io.Writer, m proto.Message) error {
	b, err := api.MarshalJSON(m)
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

// sideCursor checks the arguments and options of a subscription to the
// best sidechain and returns its cursor; nil starts at the tip.
func (o *cursorOptions) sideCursor(args []string) (*apiv1.SidechainBlockRef, error) {
	if err := noArgs(args); err != nil {
		return nil, err
	}
	height, hash, err := o.cursor(sidechain, math.MaxInt32)
	switch {
	case err != nil:
		return nil, err
	case o.All:
		return &apiv1.SidechainBlockRef{Hash: strings.Repeat("0", 64)}, nil
	case hash != "":
		return &apiv1.SidechainBlockRef{BlockHeight: int32(height), Hash: hash}, nil
	}
	return nil, nil
}

// mainCursor checks the arguments and options of a subscription to the
// node's mainchain and returns its cursor; nil starts at the tip.
func (o *cursorOptions) mainCursor(c *client, args []string) (*apiv1.MainchainBlockRef, error) {
	if err := noArgs(args); err != nil {
		return nil, err
	}
	height, hash, err := o.cursor(mainchain, math.MaxInt32)
	switch {
	case err != nil:
		return nil, err
	case o.All:
		return &apiv1.MainchainBlockRef{Height: 0, Hash: c.params.Main.GenesisHash.String()}, nil
	case hash != "":
		return &apiv1.MainchainBlockRef{Height: int32(height), Hash: hash}, nil
	}
	return nil, nil
}

// recvOf returns the receive function of the stream s that opening a
// stream returned with err.
func recvOf[M proto.Message](s interface{ Recv() (M, error) }, err error) (recvFunc, error) {
	if err != nil {
		return nil, err
	}
	return func() (proto.Message, error) { return s.Recv() }, nil
}

type subscribeSideblocksCommand struct {
	cursorOptions
	c *client
}

func (cmd *subscribeSideblocksCommand) Execute(args []string) error {
	cursor, err := cmd.sideCursor(args)
	if err != nil {
		return err
	}
	req := &apiv1.SubscribeSideblocksRequest{Cursor: cursor}
	return cmd.c.stream(cursorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		return recvOf(apiv1.NewSubscriptionServiceClient(conn).SubscribeSideblocks(ctx, req))
	})
}

type subscribeLotteryCommand struct {
	cursorOptions
	c *client
}

func (cmd *subscribeLotteryCommand) Execute(args []string) error {
	cursor, err := cmd.mainCursor(cmd.c, args)
	if err != nil {
		return err
	}
	req := &apiv1.SubscribeLotteryRequest{Cursor: cursor}
	return cmd.c.stream(cursorFields, func(ctx context.Context, conn grpc.ClientConnInterface) (recvFunc, error) {
		return recvOf(apiv1.NewSubscriptionServiceClient(conn).SubscribeLottery(ctx, req))
	})
}
