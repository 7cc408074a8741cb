package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of MiningService, for the nodes of a pow network.

// maxBlockHex bounds the hex of a block sidecli reads: a block of the pow
// engine's largest size (1,000,000 bytes) in hex, and room for a newline.
const maxBlockHex = 2*1_000_000 + 2

func miningCommands() []commandSpec {
	return []commandSpec{
		{groupMining, "mining template", "Get a block template to mine",
			"Get a block to mine on the best tip (MiningService.GetBlockTemplate, " +
				"getblocktemplate's fields): the coinbase the node built " +
				"(coinbase_txn, whose extranonce bytes at extranonce_offset " +
				"are the only ones to change), the transactions, the " +
				"withdrawal root and the coinbase's merkle branch, the target " +
				"and the times allowed. With --longpollid, wait until the " +
				"node's template differs from that one, for at most " +
				"--timeout. Pow networks only.",
			func(c *client) any { return &miningTemplateCommand{c: c} }},
		{groupMining, "mining submit", "Submit a mined block",
			"Hand the node a mined block, hex: the 80-byte header, then the " +
				"body (MiningService.SubmitBlock). A block the node refuses " +
				"is printed with its reason (BIP22's, such as high-hash) and " +
				"rule code, and sidecli exits with 4. Needs the admin " +
				"credential. A block too long for a command line is read " +
				"from a file with --file.",
			func(c *client) any { return &miningSubmitCommand{c: c} }},
		{groupMining, "mining info", "Show the difficulty, hashrate and recent blocks",
			"Show the best tip's bits, target and difficulty, the next " +
				"block's bits and algorithm, how far the chain is behind " +
				"(positive) or ahead of (negative) its ASERT schedule in " +
				"seconds, an estimate of the network's hashes a second, and " +
				"the newest blocks (MiningService.GetMiningInfo).",
			func(c *client) any { return &miningInfoCommand{c: c} }},
	}
}

type miningTemplateCommand struct {
	LongPollID string `long:"longpollid" value-name:"ID" description:"Wait until the template differs from the one with this long_poll_id"`
	c          *client
}

func (cmd *miningTemplateCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(fields{"long_poll_id": "--longpollid"}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMiningServiceClient(conn).GetBlockTemplate(ctx,
			&apiv1.GetBlockTemplateRequest{LongPollId: cmd.LongPollID})
	})
}

type miningSubmitCommand struct {
	File string `long:"file" value-name:"PATH" description:"Read the block's hex from this file instead of the argument"`
	Args struct {
		Hex arg `positional-arg-name:"hex" description:"The block, hex: the 80-byte header and the body"`
	} `positional-args:"yes"`
	c *client
}

func (cmd *miningSubmitCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	name, s := "<hex>", cmd.Args.Hex.String()
	switch {
	case cmd.File != "" && s != "":
		return usagef("give the block as <hex> or with --file, not both")
	case cmd.File != "":
		name = "--file " + cmd.File
		info, err := os.Stat(cmd.File)
		if err != nil {
			return usagef("--file %s cannot be read: %s", cmd.File, pathError(err))
		}
		if info.Size() > maxBlockHex {
			return usagef("--file %s holds %d bytes, more than the hex of the "+
				"largest block (%d digits)", cmd.File, info.Size(), maxBlockHex-2)
		}
		b, err := os.ReadFile(cmd.File)
		if err != nil {
			return usagef("--file %s cannot be read: %s", cmd.File, pathError(err))
		}
		s = string(b)
	}
	data, err := blockHex(name, s)
	if err != nil {
		return err
	}
	resp, err := cmd.c.call(fields{"data": name}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMiningServiceClient(conn).SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: data})
	}, true)
	if err != nil {
		return err
	}
	if r := resp.(*apiv1.SubmitBlockResponse); !r.GetAccepted() {
		return &cliError{code: ExitInvalid, msg: "the node did not accept the block: " +
			r.GetRejectReason()}
	}
	return nil
}

// blockHex checks that s (spaces around it ignored) is hex of at least a
// header, name being what the user typed it as.
func blockHex(name, s string) (string, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, negMark))
	if s == "" {
		return "", usagef("no block: give it as <hex>, or with --file")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", usagef("%s is not hex: give the block as hex digits (0-9, a-f), "+
			"an even number of them", name)
	}
	if len(b) <= 80 {
		return "", usagef("%s is %d bytes: a block is an 80-byte header and a body", name, len(b))
	}
	return s, nil
}

// pathError says why a file could not be read, without Go's prefixes.
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

type miningInfoCommand struct {
	Blocks value `long:"blocks" unquote:"false" value-name:"N" description:"List the newest N blocks, 1 to 120; default 10"`
	c      *client
}

func (cmd *miningInfoCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	v, err := optional("--blocks", cmd.Blocks, 1, 120, "blocks")
	if err != nil {
		return err
	}
	n := int32(v)
	return cmd.c.run(fields{"recent_blocks": "--blocks"}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMiningServiceClient(conn).GetMiningInfo(ctx,
			&apiv1.GetMiningInfoRequest{RecentBlocks: n})
	})
}
