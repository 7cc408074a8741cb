package cli

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The commands of the peg.

func pegCommands() []commandSpec {
	return []commandSpec{
		{groupPeg, "peg info", "Show the pegbox",
			"Show the current pegbox epoch, its federation and address, the " +
				"previous address while it still accepts deposits, and the " +
				"pegbox's balance in sat (PegService.GetPegInfo).",
			func(c *client) any { return &pegInfoCommand{c: c} }},
		{groupPeg, "peg in", "Deposit to a sidechain address",
			"Build a deposit of --amount sat to the current pegbox for the " +
				"sidechain address --to: fund, sign and broadcast it from the " +
				"node's wallet, or with --psbt print it as an unfunded PSBT " +
				"whose output 0, the pegbox output, must stay output 0 " +
				"(WalletService.PegIn).",
			func(c *client) any { return &pegInCommand{c: c} }},
		{groupPeg, "peg deposits", "List the accepted deposits",
			"List a page of the accepted deposits in mint order, each " +
				"confirming, matured or minted (PegService.ListDeposits).",
			func(c *client) any { return &pegDepositsCommand{c: c} }},
		{groupPeg, "peg refused", "List the refused deposits",
			"List a page of the deposits the pegbox refused and will never " +
				"mint, with the reason of each (PegService.ListRefusedDeposits).",
			func(c *client) any { return &pegRefusedCommand{c: c} }},
		{groupPeg, "peg coins", "List the pegbox's coins",
			"List a page of the pegbox's coins, the mainchain outputs the " +
				"federations hold, oldest first, each with its value in sat, " +
				"address, height and confirmations (PegService.ListPegboxCoins).",
			func(c *client) any { return &pegCoinsCommand{c: c} }},
		{groupPeg, "peg deposit", "Show one deposit",
			"Show the deposit, accepted or refused, of a mainchain " +
				"transaction id or at an outpoint txid:vout (PegService.GetDeposit). " +
				"With --wait, follow the node until the deposit is minted, " +
				"with a progress line on stderr at each change (a deposit the " +
				"node has not seen yet is waited for), then print it; a refused " +
				"deposit is printed and ends the wait with exit 1 and the reason.",
			func(c *client) any { return &pegDepositCommand{c: c} }},
		{groupPeg, "peg out", "Withdraw to a mainchain address",
			"Pay, from the node's sidechain coins, a withdrawal output that " +
				"burns --amount plus --fee sat on the sidechain; once its " +
				"sideblock is deep enough the federation pays --amount sat to " +
				"the mainchain address --to, spending --fee (default 5000 " +
				"sat, at least 1000) on the mainchain fee (WalletService.PegOut). " +
				"Follow it with peg status.",
			func(c *client) any { return &pegOutCommand{c: c} }},
		{groupPeg, "peg status", "Show where a withdrawal stands",
			"Show a withdrawal, by its sidechain outpoint txid:vout or by its " +
				"sidechain transaction id (the first withdrawal output), and " +
				"its stage: pending, included, payable or paid, with its " +
				"sideblock, depths, proof and payout (PegService.GetWithdrawal). " +
				"With --wait, follow the node until the withdrawal is paid, " +
				"with a progress line on stderr at each change, then print it.",
			func(c *client) any { return &pegStatusCommand{c: c} }},
		{groupPeg, "peg verify", "Check a payout",
			"Check a mainchain payout against the published header of the " +
				"sideblock it names and the proofs of that block's withdrawals: " +
				"print valid, and why not, with the withdrawals it must pay. " +
				"The node looks up a payout it saw mined by its mainchain " +
				"transaction id; --raw gives the transaction itself " +
				"(PegService.VerifyPayout). Exits with 4 when the payout is " +
				"not valid.",
			func(c *client) any { return &pegVerifyCommand{c: c} }},
	}
}

type pegInCommand struct {
	Amount  value  `long:"amount" unquote:"false" required:"yes" value-name:"SAT" description:"The deposit in sat, at least the dust limit (546)"`
	To      string `long:"to" unquote:"false" required:"yes" value-name:"ADDRESS" description:"Sidechain address that receives the deposit"`
	FeeRate value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Mainchain fee rate in sat/vB; default (or 0) the node's, 2; at most 10000"`
	PSBT    bool   `long:"psbt" description:"Print the deposit as an unfunded PSBT for another wallet to fund, sign and broadcast, instead of paying it from the node's wallet; that wallet must keep output 0 first and add its change after output 1"`
	forceOption
	c *client
}

func (cmd *pegInCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	amt, err := amount("--amount", cmd.Amount)
	if err != nil {
		return err
	}
	to, err := address("--to", sidechain, cmd.To, cmd.c.params)
	if err != nil {
		return err
	}
	rate, err := mainFeeRate(cmd.FeeRate)
	if err != nil {
		return err
	}
	if !cmd.PSBT {
		if err := cmd.c.confirm(cmd.Force, "deposit", fmt.Sprintf("a deposit of %d sat of the "+
			"wallet's mainchain coins to the sidechain address %s", amt, to)); err != nil {
			return err
		}
	}
	f := fields{"amount_sat": "--amount", "side_address": "--to", "fee_rate_sat_vb": "--feerate"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).PegIn(ctx, &apiv1.PegInRequest{
			AmountSat:    amt,
			SideAddress:  to,
			FeeRateSatVb: rate,
			PsbtOnly:     cmd.PSBT,
		})
	})
}

type pegInfoCommand struct{ c *client }

func (cmd *pegInfoCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(nil, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	})
}

type pegDepositsCommand struct {
	pageOptions
	c *client
}

func (cmd *pegDepositsCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).ListDeposits(ctx, &apiv1.ListDepositsRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

type pegRefusedCommand struct {
	pageOptions
	c *client
}

func (cmd *pegRefusedCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).ListRefusedDeposits(ctx, &apiv1.ListRefusedDepositsRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

type pegCoinsCommand struct {
	pageOptions
	c *client
}

func (cmd *pegCoinsCommand) Execute(args []string) error {
	return cmd.listPage(cmd.c, args, func(ctx context.Context, conn grpc.ClientConnInterface, off uint64, lim uint32) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).ListPegboxCoins(ctx, &apiv1.ListPegboxCoinsRequest{
			Offset: off, Limit: lim, Reversed: cmd.Reversed,
		})
	})
}

// txidOrOutpoint checks an argument that is a transaction id or an
// outpoint txid:vout of chain's transactions.
func txidOrOutpoint(name, chain, s string) (id, op string, err error) {
	if strings.Contains(s, ":") {
		op, err = outpoint(name, chain+" transaction", s)
		return "", op, err
	}
	id, err = txid(name, chain+" transaction id (or txid:vout)", s)
	return id, "", err
}

type pegDepositCommand struct {
	Wait bool `long:"wait" description:"Wait until the deposit is minted, or refused (exit 1), with a progress line on stderr, then print it; a deposit the node has not seen yet is waited for"`
	Args struct {
		Deposit arg `positional-arg-name:"deposit" description:"Deposit's mainchain transaction id, or the deposit outpoint as txid:vout"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *pegDepositCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	id, op, err := txidOrOutpoint("<deposit>", mainchain, cmd.Args.Deposit.String())
	if err != nil {
		return err
	}
	req := &apiv1.GetDepositRequest{}
	if op != "" {
		req.Deposit = &apiv1.GetDepositRequest_Outpoint{Outpoint: op}
	} else {
		req.Deposit = &apiv1.GetDepositRequest_Txid{Txid: id}
	}
	f := fields{"txid": "<deposit>", "outpoint": "<deposit>"}
	if cmd.Wait {
		return cmd.c.waitForDeposit(f, req, cmd.Args.Deposit.String())
	}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		resp, err := apiv1.NewPegServiceClient(conn).GetDeposit(ctx, req)
		return resp, notFoundHint(err, "a deposit is named by its mainchain "+
			"transaction; sidecli peg deposits and peg refused list them")
	})
}

type pegOutCommand struct {
	Amount  value  `long:"amount" unquote:"false" required:"yes" value-name:"SAT" description:"What the mainchain address receives, in sat; at least the dust limit (546)"`
	To      string `long:"to" unquote:"false" required:"yes" value-name:"ADDRESS" description:"Mainchain address to pay: P2PKH, P2SH, P2WPKH, P2WSH or P2TR"`
	Fee     value  `long:"fee" unquote:"false" value-name:"SAT" description:"Mainchain fee budget in sat, burned with the amount; default (or 0) the node's, 5000; at least 1000"`
	FeeRate value  `long:"feerate" unquote:"false" value-name:"SAT/VB" description:"Sidechain fee rate in sat/vB (witnesses count in full: 1 sat/vB = 1000 sat/kB); default (or 0) the node's estimate; at most 10000"`
	forceOption
	c *client
}

func (cmd *pegOutCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	amt, err := amount("--amount", cmd.Amount)
	if err != nil {
		return err
	}
	to, err := address("--to", mainchain, cmd.To, cmd.c.params)
	if err != nil {
		return err
	}
	fee, err := optional("--fee", cmd.Fee, 0, maxSat, "sat")
	if err != nil {
		return err
	}
	rate, err := sideFeeRate(cmd.FeeRate)
	if err != nil {
		return err
	}
	if err := cmd.c.confirm(cmd.Force, "withdraw", fmt.Sprintf("a withdrawal burning %d sat "+
		"of the node's sidechain coins, and the fee budget, for the mainchain address %s", amt, to)); err != nil {
		return err
	}
	f := fields{"amount_sat": "--amount", "destination_address": "--to", "fee_sat": "--fee",
		"fee_rate_sat_kb": "--feerate", "fee_rate_sat_vb": "--feerate"}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).PegOut(ctx, &apiv1.PegOutRequest{
			AmountSat:          amt,
			DestinationAddress: to,
			FeeSat:             fee,
			FeeRateSatVb:       rate,
		})
	})
}

type pegStatusCommand struct {
	Wait bool `long:"wait" description:"Wait until the withdrawal is paid, with a progress line on stderr, then print it"`
	Args struct {
		Withdrawal arg `positional-arg-name:"withdrawal" description:"Sidechain withdrawal output as txid:vout, or a sidechain transaction id for its first withdrawal output"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *pegStatusCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	id, op, err := txidOrOutpoint("<withdrawal>", sidechain, cmd.Args.Withdrawal.String())
	if err != nil {
		return err
	}
	if op == "" {
		op = id
	}
	get := func(ctx context.Context, conn grpc.ClientConnInterface) (*apiv1.GetWithdrawalResponse, error) {
		resp, err := apiv1.NewPegServiceClient(conn).GetWithdrawal(ctx,
			&apiv1.GetWithdrawalRequest{Outpoint: op})
		return resp, notFoundHint(err, "a withdrawal is named by its "+
			"sidechain transaction, as sidecli peg out printed it")
	}
	f := fields{"outpoint": "<withdrawal>"}
	if cmd.Wait {
		return cmd.c.wait(f, func(ctx context.Context, conn grpc.ClientConnInterface) (bool, string, proto.Message, error) {
			resp, err := get(ctx, conn)
			if err != nil {
				return false, "", nil, err
			}
			paid := resp.GetStage() == apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID
			return paid, withdrawalProgress(resp), resp, nil
		})
	}
	return cmd.c.run(f, func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return get(ctx, conn)
	})
}

type pegVerifyCommand struct {
	Raw  string `long:"raw" unquote:"false" value-name:"HEX" description:"The payout transaction in wire encoding, hex, for a payout the node has not seen mined"`
	Args struct {
		TxID arg `positional-arg-name:"txid" description:"The payout's mainchain transaction id; optional with --raw"`
	} `positional-args:"yes"`
	c *client
}

func (cmd *pegVerifyCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	id, raw := cmd.Args.TxID.String(), cmd.Raw
	if id == "" && raw == "" {
		return usagef("name the payout by its mainchain transaction id, or give it with --raw")
	}
	var err error
	if id != "" {
		if id, err = txid("<txid>", "mainchain transaction id", id); err != nil {
			return err
		}
	}
	if raw != "" {
		if raw, err = rawTx("--raw", raw); err != nil {
			return err
		}
	}
	resp, err := cmd.c.call(fields{"txid": "<txid>", "raw_tx_hex": "--raw"},
		func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
			return apiv1.NewPegServiceClient(conn).VerifyPayout(ctx,
				&apiv1.VerifyPayoutRequest{Txid: id, RawTxHex: raw})
		}, true)
	if err != nil {
		return err
	}
	if v := resp.(*apiv1.VerifyPayoutResponse); !v.GetValid() {
		return &cliError{code: ExitInvalid, msg: "the payout is not valid: " +
			translate(v.GetReason(), nil)}
	}
	return nil
}
