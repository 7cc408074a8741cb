package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	flags "github.com/jessevdk/go-flags"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The environment variables the client reads. A flag overrides its
// variable, and the variable overrides the default.
const (
	envRPCServer  = "SIDENODE_RPCSERVER"
	envTLSCert    = "SIDENODE_TLSCERT"
	envCredential = "SIDENODE_CREDENTIAL"
)

// clientCommands are the first arguments that make sidenode a client of a
// running node's API. With any other first argument, sidenode is the
// daemon.
var clientCommands = map[string]bool{
	"status":       true,
	"statehash":    true,
	"tickets":      true,
	"winner":       true,
	"publication":  true,
	"publications": true,
	"missed":       true,
	"subscribe":    true,
	"newaddress":   true,
	"balance":      true,
	"stake":        true,
	"block":        true,
	"tx":           true,
	"utxos":        true,
	"sidebalance":  true,
	"sideaddress":  true,
	"send":         true,
	"sendrawtx":    true,
	"estimatefee":  true,
	"peg":          true,
	"bans":         true,
}

// isClientCommand reports whether arg, the first command-line argument,
// names a client command.
func isClientCommand(arg string) bool { return clientCommands[arg] }

// clientOptions are the options of every client command.
type clientOptions struct {
	RPCServer  string        `long:"rpcserver" description:"The node's API server, as host[:port]; the port defaults to the network's API port (mainnet 8560, testnet3 18570, signet 38560, regtest 18560, simnet 18590) [$SIDENODE_RPCSERVER]"`
	DataDir    string        `long:"datadir" default-mask:"~/.sidenode/data" description:"The node's data dir: tls.cert and the credential are read from <datadir>/<network>/"`
	Network    string        `long:"network" default:"mainnet" description:"The node's network {mainnet, testnet3, signet, regtest, simnet}"`
	TLSCert    string        `long:"tlscert" default-mask:"<datadir>/<network>/tls.cert" description:"The node's TLS certificate, the only one trusted [$SIDENODE_TLSCERT]"`
	Credential string        `long:"credential" default-mask:"<datadir>/<network>/admin.cred" description:"The credential file to authenticate with [$SIDENODE_CREDENTIAL]"`
	ReadOnly   bool          `long:"readonly" description:"Authenticate with the read-only credential, <datadir>/<network>/readonly.cred"`
	NoTLS      bool          `long:"notls" description:"Connect without TLS, to a node whose API runs without it; loopback addresses only"`
	Timeout    time.Duration `long:"timeout" default:"1m" description:"Give up on a call after this long"`
}

// client runs one client command.
type client struct {
	opts   clientOptions
	getenv func(string) string
	stdout io.Writer
}

// rpcCall makes one API call on conn and returns its response.
type rpcCall func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error)

// clientMain runs the client command in args (args[0] is its name) and
// returns the exit status: 0 on success, 1 with a message on stderr on any
// error. The response is printed to stdout as JSON with the proto field
// names.
func clientMain(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &client{getenv: getenv, stdout: stdout}
	parser := c.parser()
	_, err := parser.ParseArgs(args)
	var flagsErr *flags.Error
	switch {
	case err == nil:
		return 0

	case errors.As(err, &flagsErr) && flagsErr.Type == flags.ErrHelp:
		fmt.Fprintln(stdout, strings.TrimRight(flagsErr.Message, "\n"))
		return 0
	}

	name := "sidenode"
	if active := parser.Active; active != nil {
		name += " " + active.Name
		for cmd := active.Active; cmd != nil; cmd = cmd.Active {
			name += " " + cmd.Name
		}
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	if errors.As(err, &flagsErr) {
		fmt.Fprintf(stderr, "Run %s --help for the options.\n", name)
	}
	return 1
}

// parser builds the go-flags parser of the client commands.
func (c *client) parser() *flags.Parser {
	p := flags.NewNamedParser("sidenode", flags.HelpFlag|flags.PassDoubleDash)
	if _, err := p.AddGroup("Client Options", "", &c.opts); err != nil {
		panic(err)
	}
	add := func(parent interface {
		AddCommand(string, string, string, any) (*flags.Command, error)
	}, name, short, long string, data any) *flags.Command {
		cmd, err := parent.AddCommand(name, short, long, data)
		if err != nil {
			panic(err)
		}
		return cmd
	}

	add(p, "status", "Show the node's state",
		"Show the node's version, network, mainchain and sidechain tips, sync "+
			"state and stake summary (NodeService.GetInfo).",
		&statusCommand{c: c})
	add(p, "statehash", "Show the state hash at a mainchain height",
		"Show the state hash after the mainchain block at --height, the "+
			"tip's without it (NodeService.GetStateHash): it commits to "+
			"all the state the node derived from the mainchain, so two "+
			"nodes at the same height can compare theirs. A node holds it "+
			"for its tip and the blocks below that it can still undo.",
		&stateHashCommand{c: c})
	add(p, "tickets", "List tickets",
		"List a page of the ticket index in chain order "+
			"(MainchainService.ListTickets).",
		&ticketsCommand{c: c})
	add(p, "winner", "Show the lottery winner after a mainchain block",
		"Show the ticket drawn after the mainchain block at <height> "+
			"(MainchainService.GetWinner).",
		&winnerCommand{c: c})
	add(p, "publication", "Show the header publication in a mainchain block",
		"Show the sidechain header that counts in the mainchain block at "+
			"<height> (MainchainService.GetPublication).",
		&publicationCommand{c: c})
	add(p, "publications", "List the header publications",
		"List a page of the mainchain blocks that hold a header "+
			"publication that counted, lowest first "+
			"(MainchainService.ListPublications).",
		&publicationsCommand{c: c})
	add(p, "missed", "List the missed slots",
		"List a page of the missed slots, lowest first: the draws whose "+
			"winner published no header that counted in the next "+
			"mainchain block (MainchainService.ListMissedSlots).",
		&missedCommand{c: c})
	subscribe := add(p, "subscribe", "Follow the node's chains",
		"Print the node's chains as they change, one JSON object per "+
			"line, until interrupted: the current state first, then "+
			"connected and disconnected events (SubscriptionService).",
		&struct{}{})
	add(subscribe, "sideblocks", "Follow the best sidechain",
		"Print the best sidechain's tip, then every block that joins "+
			"(connected) or leaves (disconnected) it, one JSON object "+
			"per line, until interrupted. With --height and --hash, "+
			"start after that block, the last one seen; with --all, "+
			"from the first block (SubscriptionService.SubscribeSideblocks).",
		&subscribeSideblocksCommand{c: c})
	add(subscribe, "lottery", "Follow the lottery's draws",
		"Print the mainchain tip, then the draw after every mainchain "+
			"block the node connects (connected) and every block a "+
			"reorg undoes (disconnected), one JSON object per line, "+
			"until interrupted. With --height and --hash, start after "+
			"that block; with --all, from the genesis block "+
			"(SubscriptionService.SubscribeLottery).",
		&subscribeLotteryCommand{c: c})
	add(p, "newaddress", "Issue a new receive address",
		"Issue a new receive address of the node's wallet "+
			"(WalletService.NewAddress).",
		&newAddressCommand{c: c})
	add(p, "balance", "Show the wallet's balance",
		"Show the wallet's mainchain balance (WalletService.GetBalance).",
		&balanceCommand{c: c})
	stake := add(p, "stake", "Create, list and withdraw stakes",
		"Create, list and withdraw the wallet's stakes.", &struct{}{})
	add(stake, "create", "Register a new stake",
		"Fund, sign and broadcast a stake registration from the node's "+
			"wallet, or with --psbt print it as an unfunded PSBT "+
			"(WalletService.CreateStake).",
		&stakeCreateCommand{c: c})
	add(stake, "list", "List the wallet's tickets",
		"List a page of the tickets whose stake key belongs to the wallet "+
			"(WalletService.ListStakes).",
		&stakeListCommand{c: c})
	add(stake, "withdraw", "Withdraw a stake",
		"Spend a ticket's stake output after its lock height, to the wallet "+
			"or to --to. The ticket is named by its id or by its stake "+
			"outpoint txid:vout (WalletService.WithdrawStake).",
		&stakeWithdrawCommand{c: c})

	add(p, "block", "Show a sidechain block",
		"Show the sidechain block <block>, named by its hash or by its "+
			"height on the best chain, with a page of its transaction ids "+
			"(SidechainService.GetBlock).",
		&blockCommand{c: c})
	add(p, "tx", "Show a sidechain transaction",
		"Show a transaction of the sidechain's best chain or of the "+
			"mempool, raw, with the block that holds it "+
			"(SidechainService.GetTransaction).",
		&txCommand{c: c})
	add(p, "utxos", "List a sidechain address's unspent outputs",
		"List a page of the unspent outputs that pay to a sidechain "+
			"address on the best chain, oldest first "+
			"(SidechainService.ListUnspent).",
		&utxosCommand{c: c})
	add(p, "sidebalance", "Show a sidechain balance",
		"Show the balance of the node's sidechain address "+
			"(WalletService.GetSideBalance), or of <address> "+
			"(SidechainService.GetAddressBalance).",
		&sideBalanceCommand{c: c})
	add(p, "sideaddress", "Show the node's sidechain address",
		"Show the node's sidechain address, where its sideblock "+
			"coinbases pay (WalletService.GetSideAddress).",
		&sideAddressCommand{c: c})
	add(p, "send", "Pay a sidechain address from the node's coins",
		"Pay --amount satoshis to the sidechain address --to from the "+
			"node's mature sidechain coins, and relay the transaction "+
			"(WalletService.SendSide).",
		&sendCommand{c: c})
	add(p, "sendrawtx", "Send a signed sidechain transaction",
		"Add a signed sidechain transaction, hex, to the node's mempool "+
			"and relay it (SidechainService.SendRawTransaction).",
		&sendRawTxCommand{c: c})
	add(p, "estimatefee", "Estimate the sidechain fee rate",
		"Show the fee rate, in sat/kB, that gets a transaction into the "+
			"next sideblock (SidechainService.EstimateFee).",
		&estimateFeeCommand{c: c})

	peg := add(p, "peg", "Move coins between the chains through the pegbox",
		"Deposit mainchain coins to the sidechain through the pegbox, "+
			"withdraw sidechain coins to the mainchain, and show the pegbox, "+
			"its deposits, withdrawals and payouts.", &struct{}{})
	add(peg, "in", "Deposit to a sidechain address",
		"Build a deposit of --amount satoshis to the current pegbox for the "+
			"sidechain address --to: fund, sign and broadcast it from the "+
			"node's wallet, or with --psbt print it as an unfunded PSBT "+
			"whose output 0, the pegbox output, must stay output 0 "+
			"(WalletService.PegIn).",
		&pegInCommand{c: c})
	add(peg, "info", "Show the pegbox",
		"Show the current pegbox epoch, its federation and address, the "+
			"previous address while it still accepts deposits, and the "+
			"pegbox's balance (PegService.GetPegInfo).",
		&pegInfoCommand{c: c})
	add(peg, "deposits", "List the accepted deposits",
		"List a page of the accepted deposits in mint order, each "+
			"confirming, matured or minted (PegService.ListDeposits).",
		&pegDepositsCommand{c: c})
	add(peg, "refused", "List the refused deposits",
		"List a page of the deposits the pegbox refused and will never "+
			"mint, with the reason of each (PegService.ListRefusedDeposits).",
		&pegRefusedCommand{c: c})
	add(peg, "deposit", "Show one deposit",
		"Show the deposit, accepted or refused, of a transaction id or "+
			"at an outpoint txid:vout (PegService.GetDeposit).",
		&pegDepositCommand{c: c})
	add(peg, "out", "Withdraw to a mainchain address",
		"Pay, from the node's sidechain coins, a withdrawal output that "+
			"burns --amount plus --fee satoshis on the sidechain; once its "+
			"sideblock is deep enough the federation pays --amount to the "+
			"mainchain address --to, spending --fee (default 5,000, at "+
			"least 1,000) on the mainchain fee (WalletService.PegOut). "+
			"Follow it with peg status.",
		&pegOutCommand{c: c})
	add(peg, "status", "Show where a withdrawal stands",
		"Show a withdrawal, by its sidechain outpoint txid:vout or by its "+
			"transaction id (the first withdrawal output), and its stage: "+
			"pending, included, payable or paid, with its sideblock, "+
			"depths, proof and payout (PegService.GetWithdrawal).",
		&pegStatusCommand{c: c})
	add(peg, "verify", "Check a payout",
		"Check a mainchain payout against the published header of the "+
			"sideblock it names and the proofs of that block's withdrawals: "+
			"print valid, and why not, with the withdrawals it must pay. "+
			"The node looks up a payout it saw mined by its transaction "+
			"id; --raw gives the transaction itself (PegService.VerifyPayout).",
		&pegVerifyCommand{c: c})
	addBanCommands(p, c)
	return p
}

// noArgs rejects arguments a command does not take.
func noArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	return nil
}

// connection returns the client configuration that the options, the
// environment and the defaults give, in that order of precedence.
func (c *client) connection() (api.ClientConfig, error) {
	o := &c.opts
	port, ok := api.DefaultPort(o.Network)
	if !ok {
		return api.ClientConfig{}, fmt.Errorf("unknown network %q: --network "+
			"must be one of %s", o.Network, strings.Join(api.Networks(), ", "))
	}
	dataDir := o.DataDir
	if dataDir == "" {
		dataDir = filepath.Join(btcutil.AppDataDir("sidenode", false), "data")
	}
	netDir := filepath.Join(expandPath(dataDir), o.Network)

	pick := func(flag, env, def string) string {
		switch {
		case flag != "":
			return flag
		case c.getenv(env) != "":
			return c.getenv(env)
		}
		return def
	}

	server := pick(o.RPCServer, envRPCServer, "")
	switch {
	case server == "":
		server = net.JoinHostPort("127.0.0.1", port)
	default:
		if _, _, err := net.SplitHostPort(server); err != nil {
			host := strings.TrimSuffix(strings.TrimPrefix(server, "["), "]")
			server = net.JoinHostPort(host, port)
		}
	}

	if o.ReadOnly && o.Credential != "" {
		return api.ClientConfig{}, errors.New("--readonly and --credential " +
			"both name a credential: give one")
	}
	credPath := o.Credential
	if credPath == "" && o.ReadOnly {
		credPath = filepath.Join(netDir, api.ReadOnlyCredFilename)
	}
	credPath = expandPath(pick(credPath, envCredential,
		filepath.Join(netDir, api.AdminCredFilename)))
	cred, err := api.ReadCredential(credPath)
	if errors.Is(err, fs.ErrNotExist) {
		return api.ClientConfig{}, fmt.Errorf("no credential file %s: the "+
			"node creates it when its API starts; or name one with "+
			"--credential or %s", credPath, envCredential)
	}
	if err != nil {
		return api.ClientConfig{}, err
	}

	cfg := api.ClientConfig{Address: server, DisableTLS: o.NoTLS, Credential: cred}
	if !o.NoTLS {
		cfg.TLSCertPath = expandPath(pick(o.TLSCert, envTLSCert,
			filepath.Join(netDir, api.TLSCertFilename)))
		if _, err := os.Stat(cfg.TLSCertPath); errors.Is(err, fs.ErrNotExist) {
			return api.ClientConfig{}, fmt.Errorf("no TLS certificate %s: "+
				"the node creates it when its API starts; or name it "+
				"with --tlscert or %s", cfg.TLSCertPath, envTLSCert)
		}
	}
	return cfg, nil
}

// expandPath expands a leading ~ to the home dir.
func expandPath(path string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = home + path[1:]
		}
	}
	return path
}

// run connects, makes the call and prints the response as JSON.
func (c *client) run(call rpcCall) error {
	cfg, err := c.connection()
	if err != nil {
		return err
	}
	conn, err := api.Dial(cfg)
	if err != nil {
		return err
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	resp, err := call(ctx, conn)
	if err != nil {
		return callError(cfg.Address, err)
	}
	return printJSON(c.stdout, resp)
}

// callError turns a call's error into a message for the user.
func callError(addr string, err error) error {
	st := status.Convert(err)
	switch st.Code() {
	case codes.Unavailable:
		return fmt.Errorf("cannot reach the node's API at %s (is the node "+
			"running on this network, with --rpcserver and --tlscert "+
			"matching it?): %s", addr, st.Message())
	case codes.Unauthenticated:
		return fmt.Errorf("the node refused the credential: %s", st.Message())
	case codes.PermissionDenied:
		return fmt.Errorf("permission denied: %s", st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("no answer from %s in time (--timeout): %s", addr, st.Message())
	}
	return fmt.Errorf("%s: %s", strings.ToLower(splitCamel(st.Code().String())), st.Message())
}

// splitCamel turns "InvalidArgument" into "Invalid argument".
func splitCamel(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// printJSON prints m as indented JSON with the proto field names and every
// field, zero or not. protojson's own spacing varies on purpose, so the
// output is indented again for a stable layout.
func printJSON(w io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(m)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// parseHeight parses a block height argument.
func parseHeight(s string) (int32, error) {
	h, err := strconv.ParseInt(s, 10, 32)
	if err != nil || h < 0 {
		return 0, fmt.Errorf("height %q: want a block height, 0 or more", s)
	}
	return int32(h), nil
}

// pageOptions are the paging options of the list commands.
type pageOptions struct {
	Offset   uint64 `long:"offset" description:"Skip this many items (from the newest with --reversed)"`
	Limit    uint32 `long:"limit" description:"Return at most this many items; 0 means the node's default page size"`
	Reversed bool   `long:"reversed" description:"List the newest first"`
}

type statusCommand struct{ c *client }

func (cmd *statusCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewNodeServiceClient(conn).GetInfo(ctx, &apiv1.GetInfoRequest{})
	})
}

type stateHashCommand struct {
	Height string `long:"height" description:"Mainchain block height; the tip's when not given"`
	c      *client
}

func (cmd *stateHashCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	tip := cmd.Height == ""
	var h int32
	if !tip {
		var err error
		if h, err = parseHeight(cmd.Height); err != nil {
			return err
		}
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
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
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).ListTickets(ctx, &apiv1.ListTicketsRequest{
			Offset: cmd.Offset, Limit: cmd.Limit, Reversed: cmd.Reversed,
		})
	})
}

// heightArg is the positional <height> argument.
type heightArg struct {
	Height string `positional-arg-name:"height" description:"Mainchain block height"`
}

type winnerCommand struct {
	Args heightArg `positional-args:"yes" required:"yes"`
	c    *client
}

func (cmd *winnerCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	h, err := parseHeight(cmd.Args.Height)
	if err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
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
	h, err := parseHeight(cmd.Args.Height)
	if err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewMainchainServiceClient(conn).GetPublication(ctx, &apiv1.GetPublicationRequest{Height: h})
	})
}

type newAddressCommand struct{ c *client }

func (cmd *newAddressCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).NewAddress(ctx, &apiv1.NewAddressRequest{})
	})
}

type balanceCommand struct {
	MinConf int32 `long:"minconf" description:"Confirmations a coin needs to count as spendable; 0 means 1"`
	c       *client
}

func (cmd *balanceCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: cmd.MinConf})
	})
}

type stakeCreateCommand struct {
	Amount     int64  `long:"amount" required:"yes" description:"The stake in satoshis"`
	LockBlocks uint32 `long:"lock-blocks" required:"yes" description:"Blocks the stake stays locked, from the block after the mainchain tip"`
	FeeRate    int64  `long:"feerate" description:"Fee rate in sat/vB; 0 means the node's default (2), at most 10000"`
	PSBT       bool   `long:"psbt" description:"Print the registration as an unfunded PSBT for another wallet to fund, sign and broadcast, instead of paying it from the node's wallet"`
	c          *client
}

func (cmd *stakeCreateCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).CreateStake(ctx, &apiv1.CreateStakeRequest{
			AmountSat:    cmd.Amount,
			LockBlocks:   cmd.LockBlocks,
			FeeRateSatVb: cmd.FeeRate,
			PsbtOnly:     cmd.PSBT,
		})
	})
}

type stakeListCommand struct {
	pageOptions
	c *client
}

func (cmd *stakeListCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).ListStakes(ctx, &apiv1.ListStakesRequest{
			Offset: cmd.Offset, Limit: cmd.Limit, Reversed: cmd.Reversed,
		})
	})
}

type stakeWithdrawCommand struct {
	To      string `long:"to" description:"Address that receives the stake; default a new address of the wallet"`
	FeeRate int64  `long:"feerate" description:"Fee rate in sat/vB; 0 means the node's default (2), at most 10000"`
	Args    struct {
		Ticket string `positional-arg-name:"ticket" description:"Ticket id, or the stake outpoint as txid:vout"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *stakeWithdrawCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	req := &apiv1.WithdrawStakeRequest{DestinationAddress: cmd.To, FeeRateSatVb: cmd.FeeRate}
	ticket := cmd.Args.Ticket
	if strings.Contains(ticket, ":") {
		req.Stake = &apiv1.WithdrawStakeRequest_StakeOutpoint{StakeOutpoint: ticket}
	} else {
		id, err := strconv.ParseUint(ticket, 10, 64)
		if err != nil {
			return fmt.Errorf("ticket %q: want a ticket id or a stake "+
				"outpoint txid:vout", ticket)
		}
		req.Stake = &apiv1.WithdrawStakeRequest_TicketId{TicketId: id}
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).WithdrawStake(ctx, req)
	})
}

type blockCommand struct {
	pageOptions
	Raw  bool `long:"raw" description:"Include the serialized block, hex"`
	Args struct {
		Block string `positional-arg-name:"block" description:"Block hash, or height on the best chain"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *blockCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	req := &apiv1.GetBlockRequest{Offset: cmd.Offset, Limit: cmd.Limit,
		Reversed: cmd.Reversed, IncludeRaw: cmd.Raw}
	arg := cmd.Args.Block
	if h, err := strconv.ParseUint(arg, 10, 32); err == nil && len(arg) < 64 {
		req.Block = &apiv1.GetBlockRequest_Height{Height: h}
	} else if len(arg) == 64 {
		req.Block = &apiv1.GetBlockRequest_Hash{Hash: arg}
	} else {
		return fmt.Errorf("block %q: want a block hash (64 hex digits) or "+
			"a sidechain height", arg)
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).GetBlock(ctx, req)
	})
}

type txCommand struct {
	Args struct {
		TxID string `positional-arg-name:"txid" description:"Transaction id"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *txCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).GetTransaction(ctx,
			&apiv1.GetTransactionRequest{Txid: cmd.Args.TxID})
	})
}

// addressArg is the positional <address> argument.
type addressArg struct {
	Address string `positional-arg-name:"address" description:"Sidechain address"`
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
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).ListUnspent(ctx, &apiv1.ListUnspentRequest{
			Address: cmd.Args.Address, Offset: cmd.Offset, Limit: cmd.Limit,
			Reversed: cmd.Reversed,
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
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		if cmd.Args.Address == "" {
			return apiv1.NewWalletServiceClient(conn).GetSideBalance(ctx, &apiv1.GetSideBalanceRequest{})
		}
		return apiv1.NewSidechainServiceClient(conn).GetAddressBalance(ctx,
			&apiv1.GetAddressBalanceRequest{Address: cmd.Args.Address})
	})
}

type sideAddressCommand struct{ c *client }

func (cmd *sideAddressCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	})
}

type sendCommand struct {
	To      string `long:"to" required:"yes" description:"Sidechain address to pay"`
	Amount  int64  `long:"amount" required:"yes" description:"Amount in satoshis"`
	FeeRate int64  `long:"feerate" description:"Fee rate in sat/kB (witnesses count in full); 0 means the node's estimate"`
	c       *client
}

func (cmd *sendCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).SendSide(ctx, &apiv1.SendSideRequest{
			ToAddress: cmd.To, AmountSat: cmd.Amount, FeeRateSatKb: cmd.FeeRate,
		})
	})
}

type sendRawTxCommand struct {
	Args struct {
		Hex string `positional-arg-name:"hex" description:"Signed transaction in wire encoding, hex"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *sendRawTxCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).SendRawTransaction(ctx,
			&apiv1.SendRawTransactionRequest{RawHex: strings.TrimSpace(cmd.Args.Hex)})
	})
}

type estimateFeeCommand struct{ c *client }

func (cmd *estimateFeeCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewSidechainServiceClient(conn).EstimateFee(ctx, &apiv1.EstimateFeeRequest{})
	})
}

type pegInCommand struct {
	Amount  int64  `long:"amount" required:"yes" description:"The deposit in satoshis, at least the dust limit"`
	To      string `long:"to" required:"yes" description:"Sidechain address that receives the deposit"`
	FeeRate int64  `long:"feerate" description:"Fee rate in sat/vB; 0 means the node's default (2), at most 10000"`
	PSBT    bool   `long:"psbt" description:"Print the deposit as an unfunded PSBT for another wallet to fund, sign and broadcast, instead of paying it from the node's wallet; that wallet must keep output 0 first and add its change after output 1"`
	c       *client
}

func (cmd *pegInCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).PegIn(ctx, &apiv1.PegInRequest{
			AmountSat:    cmd.Amount,
			SideAddress:  cmd.To,
			FeeRateSatVb: cmd.FeeRate,
			PsbtOnly:     cmd.PSBT,
		})
	})
}

type pegInfoCommand struct{ c *client }

func (cmd *pegInfoCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	})
}

type pegDepositsCommand struct {
	pageOptions
	c *client
}

func (cmd *pegDepositsCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).ListDeposits(ctx, &apiv1.ListDepositsRequest{
			Offset: cmd.Offset, Limit: cmd.Limit, Reversed: cmd.Reversed,
		})
	})
}

type pegRefusedCommand struct {
	pageOptions
	c *client
}

func (cmd *pegRefusedCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).ListRefusedDeposits(ctx, &apiv1.ListRefusedDepositsRequest{
			Offset: cmd.Offset, Limit: cmd.Limit, Reversed: cmd.Reversed,
		})
	})
}

type pegDepositCommand struct {
	Args struct {
		Deposit string `positional-arg-name:"deposit" description:"Deposit transaction id, or the deposit outpoint as txid:vout"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *pegDepositCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	req := &apiv1.GetDepositRequest{}
	if arg := cmd.Args.Deposit; strings.Contains(arg, ":") {
		req.Deposit = &apiv1.GetDepositRequest_Outpoint{Outpoint: arg}
	} else {
		req.Deposit = &apiv1.GetDepositRequest_Txid{Txid: arg}
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).GetDeposit(ctx, req)
	})
}

type pegOutCommand struct {
	Amount  int64  `long:"amount" required:"yes" description:"What the mainchain address receives, in satoshis; at least the dust limit"`
	To      string `long:"to" required:"yes" description:"Mainchain address to pay: P2PKH, P2SH, P2WPKH, P2WSH or P2TR"`
	Fee     int64  `long:"fee" description:"Mainchain fee budget in satoshis, burned with the amount; 0 means the node's default, 5,000"`
	FeeRate int64  `long:"feerate" description:"Sidechain fee rate in sat/kB (witnesses count in full); 0 means the node's estimate"`
	c       *client
}

func (cmd *pegOutCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewWalletServiceClient(conn).PegOut(ctx, &apiv1.PegOutRequest{
			AmountSat:          cmd.Amount,
			DestinationAddress: cmd.To,
			FeeSat:             cmd.Fee,
			FeeRateSatKb:       cmd.FeeRate,
		})
	})
}

type pegStatusCommand struct {
	Args struct {
		Withdrawal string `positional-arg-name:"withdrawal" description:"Sidechain withdrawal output as txid:vout, or a transaction id for its first withdrawal output"`
	} `positional-args:"yes" required:"yes"`
	c *client
}

func (cmd *pegStatusCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).GetWithdrawal(ctx,
			&apiv1.GetWithdrawalRequest{Outpoint: cmd.Args.Withdrawal})
	})
}

type pegVerifyCommand struct {
	Raw  string `long:"raw" description:"The payout transaction in wire encoding, hex, for a payout the node has not seen mined"`
	Args struct {
		TxID string `positional-arg-name:"txid" description:"The payout's mainchain transaction id; optional with --raw"`
	} `positional-args:"yes"`
	c *client
}

func (cmd *pegVerifyCommand) Execute(args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if cmd.Args.TxID == "" && cmd.Raw == "" {
		return errors.New("name the payout by its transaction id, or give it with --raw")
	}
	return cmd.c.run(func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error) {
		return apiv1.NewPegServiceClient(conn).VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{
			Txid: cmd.Args.TxID, RawTxHex: strings.TrimSpace(cmd.Raw)})
	})
}
