package cli

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of the sidechain.

func sidechainCommands() []commandSpec {
	return []commandSpec{
		{groupSidechain, "block", "Show a sidechain block",
			"Show the sidechain block <block>, named by its hash or by its " +
				"height on the best chain, with a page of its transaction ids " +
				"(SidechainService.GetBlock).",
			func(c *client) any { return &blockCommand{c: c} }},
		{groupSidechain, "tx", "Show a sidechain or mainchain transaction",
			"Show a transaction of the sidechain's best chain or of the " +
				"mempool, raw, with the block that holds it and its " +
				"confirmations: num_confirmations, and on a network with " +
				"notaries notarized and dpow_confirmations (1 until a " +
				"notarization covers its block) " +
				"(SidechainService.GetTransaction); else a mainchain transaction: " +
				"the wallet's (WalletService.GetWalletTransaction), or any other " +
				"btcd knows, in its mempool, or in a block when btcd runs with " +
				"--txindex (MainchainService.GetMainTransaction). With the " +
				"neutrino backend only the wallet's own mainchain transactions " +
				"are known.",
			func(c *client) any { return &txCommand{c: c} }},
		{groupSidechain, "utxos", "List a sidechain address's unspent outputs",
			"List a page of the unspent outputs that pay to a sidechain " +
				"address on the best chain, oldest first, values in sat " +
				"(SidechainService.ListUnspent).",
			func(c *client) any { return &utxosCommand{c: c} }},
		{groupSidechain, "addresshistory", "List a sidechain address's transactions",
			"List a page of the transactions that pay a sidechain address " +
				"or spend its outputs, in the newest --blocks sideblocks of the " +
				"best chain, oldest first: what each received and sent, in sat, " +
				"and its confirmations (SidechainService.GetAddressHistory).",
			func(c *client) any { return &addressHistoryCommand{c: c} }},
		{groupSidechain, "sidebalance", "Show a sidechain balance",
			"Show the balance, in sat, of the node's sidechain address " +
				"(WalletService.GetSideBalance), or of <address> " +
				"(SidechainService.GetAddressBalance).",
			func(c *client) any { return &sideBalanceCommand{c: c} }},
		{groupSidechain, "sideaddress", "Show the node's sidechain address",
			"Show the node's sidechain address, where its sideblock " +
				"coinbases pay (WalletService.GetSideAddress).",
			func(c *client) any { return &sideAddressCommand{c: c} }},
		{groupSidechain, "send", "Pay a sidechain address from the node's coins",
			"Pay --amount sat to the sidechain address --to from the " +
				"node's mature sidechain coins, and relay the transaction " +
				"(WalletService.SendSide).",
			func(c *client) any { return &sendCommand{c: c} }},
		{groupSidechain, "sendrawtx", "Send a signed sidechain transaction",
			"Add a signed sidechain transaction, hex, to the node's mempool " +
				"and relay it (SidechainService.SendRawTransaction).",
			func(c *client) any { return &sendRawTxCommand{c: c} }},
		{groupSidechain, "estimatefee", "Estimate the sidechain fee rate",
			"Show the fee rate that gets a transaction into the next " +
				"sideblock, in sat/vB (fee_rate_sat_vb, rounded up: the unit of " +
				"send --feerate) and in sat/kB, the unit of the sidechain's " +
				"mempool (SidechainService.EstimateFee).",
			func(c *client) any { return &estimateFeeCommand{c: c} }},
	}
}

type blockCommand struct {
	pageOptions
	Raw  bool `long:"raw" description:"Include the serialized block, hex"`
	Args struct {
		Block arg `positional-arg-name:"block" description:"Sidechain block hash, or height on the best sidechain"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *blockCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	req := &apiv1.GetBlockRequest{Offset: off, Limit: lim, Reversed: cmd.Reversed, IncludeRaw: cmd.Raw}
	s := cmd.Args.Block.String()
	if len(s) == 64 {
		hash, err := txid("<block>", "sidechain block hash", s)
		if err != nil {
			return err
		}
		req.Block = &apiv1.GetBlockRequest_Hash{Hash: hash}
	} else {
		h, err := sideHeight("<block>", s)
		if err != nil {
			return usagef("<block> %s: want a sidechain block hash (64 hex "+
				"digits) or a sidechain height, 0 or more", quoteIfOdd(s))
		}
		req.Block = &apiv1.GetBlockRequest_Height{Height: h}
	}
	f := pageFields
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		resp, err := apiv1.NewSidechainServiceClient(conn).GetBlock(ctx, req)
		return resp, notFoundHint(err, "block shows sidechain blocks; "+
			"sidecli status shows the sidechain's tip, and a mainchain block is btcd's to show")
	})
}

type txCommand struct {
	Verbose bool `long:"verbose" description:"Decode it, as bitcoin-cli getrawtransaction TXID true does: inputs, outputs (values in BTC and in sat), scripts disassembled, addresses"`
	Args    struct {
		TxID arg `positional-arg-name:"txid" description:"Sidechain transaction id, or a mainchain transaction id: the wallet's, or any btcd knows (its mempool; confirmed ones when btcd runs with --txindex)"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *txCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	id, err := txid("<txid>", "sidechain or mainchain transaction id", cmd.Args.TxID.String())
	if err != nil {
		return err
	}
	// The sidechain first; a transaction it does not know may be one of
	// the wallet's on the mainchain.
	resp, err := cmd.c.call(fields{"txid": "<txid>"}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		resp, err := apiv1.NewSidechainServiceClient(conn).GetTransaction(ctx,
			&apiv1.GetTransactionRequest{Txid: id})
		if status.Code(err) != codes.NotFound {
			return resp, err
		}
		main, werr := apiv1.NewWalletServiceClient(conn).GetWalletTransaction(ctx,
			&apiv1.GetWalletTransactionRequest{Txid: id})
		if werr == nil {
			return main, nil
		}
		// Any other mainchain transaction, from btcd.
		other, merr := apiv1.NewMainchainServiceClient(conn).GetMainTransaction(ctx,
			&apiv1.GetMainTransactionRequest{Txid: id})
		switch status.Code(merr) {
		case codes.OK:
			return other, nil
		case codes.NotFound:
			side, _ := status.FromError(err)
			main, _ := status.FromError(merr)
			return nil, status.Errorf(codes.NotFound, "%s; %s", side.Message(), main.Message())
		case codes.Unimplemented: // a node older than GetMainTransaction
			return nil, notFoundHint(err, "tx shows sidechain transactions and the "+
				"wallet's mainchain transactions; a mainchain transaction is btcd's to show")
		}
		return nil, merr
	}, !cmd.Verbose)
	if err != nil || !cmd.Verbose {
		return err
	}
	var (
		raw   string
		chain = sidechain
		p     = cmd.c.params.Side
	)
	switch r := resp.(type) {
	case *apiv1.GetTransactionResponse:
		raw = r.GetRawHex()
	case *apiv1.GetWalletTransactionResponse:
		raw, chain, p = r.GetRawHex(), mainchain, cmd.c.params.Main
	case *apiv1.GetMainTransactionResponse:
		raw, chain, p = r.GetRawHex(), mainchain, cmd.c.params.Main
	}
	v, err := decodeTx(raw, p)
	if err != nil {
		return err
	}
	v.Chain = chain
	if node, err := protojsonMarshal(resp); err == nil {
		v.Node = node
	}
	switch r := resp.(type) {
	case *apiv1.GetTransactionResponse:
		v.BlockHash, v.Confirmations = r.GetBlockHash(), uint64(max(r.GetNumConfirmations(), 0))
	case *apiv1.GetWalletTransactionResponse:
		v.Confirmations = uint64(max(r.GetTransaction().GetNumConfirmations(), 0))
	case *apiv1.GetMainTransactionResponse:
		v.BlockHash, v.Confirmations = r.GetBlockHash(), uint64(max(r.GetNumConfirmations(), 0))
	}
	return printIndented(cmd.c.stdout, v)
}

// addressArg is the positional <address> argument.
type addressArg struct {
	Address arg `positional-arg-name:"address" description:"Sidechain address"`
}

type utxosCommand struct {
	pageOptions
	Args addressArg `positional-args:"yes" required:"yes"`
	c    *client
}

func (cmd *utxosCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	addr, err := address("<address>", sidechain, cmd.Args.Address.String(), cmd.c.params)
	if err != nil {
		return err
	}
	f := pageFields.with(fields{"address": "<address>"})
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).ListUnspent(ctx, &apiv1.ListUnspentRequest{
			Address: addr, Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

type addressHistoryCommand struct {
	Blocks value `long:"blocks" unquote:"false" value-name:"N" description:"Read this many sideblocks back from the tip; default (or 0) 1000; at most 10000"`
	pageOptions
	Args addressArg `positional-args:"yes" required:"yes"`
	c    *client
}

func (cmd *addressHistoryCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	addr, err := address("<address>", sidechain, cmd.Args.Address.String(), cmd.c.params)
	if err != nil {
		return err
	}
	blocks, err := optional("--blocks", cmd.Blocks, 0, 10_000, "sideblocks")
	if err != nil {
		return err
	}
	off, lim, err := cmd.page()
	if err != nil {
		return err
	}
	f := pageFields.with(fields{"address": "<address>", "blocks": "--blocks"})
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{
			Address: addr, Blocks: int32(blocks), Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

type sideBalanceCommand struct {
	Args addressArg `positional-args:"yes"`
	c    *client
}

func (cmd *sideBalanceCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	addr := cmd.Args.Address.String()
	if addr != "" {
		var err error
		if addr, err = address("<address>", sidechain, addr, cmd.c.params); err != nil {
			return err
		}
	}
	return cmd.c.run(fields{"address": "<address>"}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		if addr == "" {
			return apiv1.NewWalletServiceClient(conn).GetSideBalance(ctx, &apiv1.GetSideBalanceRequest{})
		}
		return apiv1.NewSidechainServiceClient(conn).GetAddressBalance(ctx,
			&apiv1.GetAddressBalanceRequest{Address: addr})
	})
}

type sideAddressCommand struct{ c *client }

func (cmd *sideAddressCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	})
}

type sendCommand struct {
	To      string `long:"to" unquote:"false" required:"yes" value-name:"ADDRESS" description:"Sidechain address to pay"`
	Amount  value  `long:"amount" unquote:"false" required:"yes" value-name:"SAT" description:"Amount in sat"`
	FeeRate value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Sidechain fee rate in sat/vB (witnesses count in full: 1 sat/vB = 1000 sat/kB); default (or 0) the node's estimate; at most 10000"`
	forceOption
	c *client
}

func (cmd *sendCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	to, err := address("--to", sidechain, cmd.To, cmd.c.params)
	if err != nil {
		return err
	}
	amt, err := amount("--amount", cmd.Amount)
	if err != nil {
		return err
	}
	rate, err := sideFeeRate(cmd.FeeRate)
	if err != nil {
		return err
	}
	if err := cmd.c.confirm(cmd.Force, "send it", fmt.Sprintf("a payment of %d sat to the sidechain address %s", amt, to)); err != nil {
		return err
	}
	f := fields{"to_address": "--to", "amount_sat": "--amount", "fee_rate_sat_kb": "--feerate", "fee_rate_sat_vb": "--feerate"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).SendSide(ctx, &apiv1.SendSideRequest{
			ToAddress: to, AmountSat: amt, FeeRateSatVb: rate,
		})
	})
}

type sendRawTxCommand struct {
	Args struct {
		Hex arg `positional-arg-name:"hex" description:"Signed sidechain transaction in wire encoding, hex"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *sendRawTxCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	raw, err := rawTx("<hex>", cmd.Args.Hex.String())
	if err != nil {
		return err
	}
	return cmd.c.run(fields{"raw_hex": "<hex>"}, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).SendRawTransaction(ctx,
			&apiv1.SendRawTransactionRequest{RawHex: raw})
	})
}

type estimateFeeCommand struct{ c *client }

func (cmd *estimateFeeCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).EstimateFee(ctx, &apiv1.EstimateFeeRequest{})
	})
}

// notFoundHint adds hint, what to do next, to the node's NotFound error;
// any other error is returned as it is.
func notFoundHint(err error, hint string) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.NotFound {
		return err
	}
	return status.Errorf(codes.NotFound, "%s (%s)", st.Message(), hint)
}
