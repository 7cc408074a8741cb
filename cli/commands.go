package cli

import (
	"bytes"
	"fmt"
	"strings"

	flags "github.com/jessevdk/go-flags"
)

// The groups of commands, in the order sidecli help lists them.
const (
	groupNode      = "Node"
	groupLottery   = "Stakes and the lottery (mainchain)"
	groupWallet    = "Wallet (mainchain)"
	groupSidechain = "Sidechain"
	groupPeg       = "Peg: moving coins between the chains"
	groupFollow    = "Follow the chains"
	groupPeers     = "Peers"
	groupMining    = "Mining (pow networks)"
)

var groupOrder = []string{groupNode, groupLottery, groupWallet, groupSidechain,
	groupPeg, groupFollow, groupPeers, groupMining}

// commandSpec is one command: its group, its path ("peg in"), its
// one-line and long descriptions, and its options and arguments.
type commandSpec struct {
	group, path, short, long string
	data                     func(c *client) any
}

// parents are the commands that only hold subcommands.
var parents = map[string][2]string{
	"stake": {"Create, list, top up, withdraw and renew stakes",
		"Create, list, top up, withdraw and renew the wallet's stakes."},
	"peg": {"Move coins between the chains through the pegbox",
		"Deposit mainchain coins to the sidechain through the pegbox, " +
			"withdraw sidechain coins to the mainchain, and show the pegbox, " +
			"its deposits, withdrawals and payouts."},
	"bans": {"List, add and remove the bans of the peer protocol",
		"List, add and remove the operator's bans of the peer protocol, " +
			"and the addresses the node discouraged."},
	"peers": {"List, dial and drop the peer sessions",
		"List the sessions of the sidechain peer protocol, dial a peer " +
			"once, and close the sessions with one."},
	"mining": {"Mine a pow network: templates, blocks, difficulty",
		"Get block templates, submit mined blocks and show the difficulty, " +
			"the hashrate and the recent blocks of a proof-of-work " +
			"network (MiningService). On a network of another engine the " +
			"node refuses them."},
	"pool": {"Show the node's mining pool: workers, blocks, payouts, audit",
		"Show the mining pool the node runs with --stratum on a " +
			"proof-of-work network (PoolService): its figures, its workers, " +
			"the blocks it found, its payouts and the audit of its accounts. " +
			"A node without a pool refuses them."},
	"subscribe": {"Follow the node's chains",
		"Print the node's chains as they change, one JSON object per " +
			"line, until interrupted: the current state first, then " +
			"connected and disconnected events (SubscriptionService)."},
}

// commands returns every command of sidecli, in the order help lists
// them within a group. The peers group (peer and ban commands) adds its
// commands in peers.go.
func commands() []commandSpec {
	var all []commandSpec
	for _, part := range [][]commandSpec{nodeCommands(), walletCommands(),
		sidechainCommands(), pegCommands(), subscribeCommands(), followCommands(),
		peerCommands(), operatorCommands(), alarmCommands(), miningCommands(),
		poolCommands()} {
		all = append(all, part...)
	}
	return all
}

// parser builds the go-flags parser of sidecli.
func (c *client) parser() *flags.Parser {
	p := flags.NewNamedParser("sidecli", flags.HelpFlag|flags.PassDoubleDash)
	p.ShortDescription = "the command-line client of a sidenode"
	if _, err := p.AddGroup("Connection Options", "", &c.opts); err != nil {
		panic(err)
	}
	p.CommandHandler = func(cmd flags.Commander, args []string) error {
		switch cmd.(type) {
		case nil:
			return nil
		case *helpCommand:
			return cmd.Execute(args)
		}
		return c.execute(cmd, args)
	}
	added := map[string]*flags.Command{}
	parent := func(path string) interface {
		AddCommand(string, string, string, any) (*flags.Command, error)
	} {
		name, _, ok := strings.Cut(path, " ")
		if !ok {
			return p
		}
		if cmd := added[name]; cmd != nil {
			return cmd
		}
		d := parents[name]
		cmd, err := p.AddCommand(name, d[0], d[1], &struct{}{})
		if err != nil {
			panic(err)
		}
		added[name] = cmd
		return cmd
	}
	for _, spec := range commands() {
		name := spec.path[strings.LastIndexByte(spec.path, ' ')+1:]
		if _, err := parent(spec.path).AddCommand(name, spec.short, spec.long, spec.data(c)); err != nil {
			panic(err)
		}
	}
	if _, err := p.AddCommand("help", "List the commands, or describe one",
		"Without an argument, list every command by group; with a "+
			"command, describe it, its options and their units.",
		&helpCommand{c: c}); err != nil {
		panic(err)
	}
	return p
}

// helpCommand is sidecli help [COMMAND [SUBCOMMAND]].
type helpCommand struct {
	Args struct {
		Command []string `positional-arg-name:"command"`
	} `positional-args:"yes"`
	c *client
}

func (cmd *helpCommand) Execute(args []string) error {
	words := append(cmd.Args.Command, args...)
	if len(words) == 0 {
		fmt.Fprint(cmd.c.stdout, overview())
		return nil
	}
	// The command's own --help says it all.
	p := (&client{}).parser()
	_, err := p.ParseArgs(append(words, "--help"))
	var fe *flags.Error
	if e, ok := err.(*flags.Error); ok {
		fe = e
	}
	if fe != nil && fe.Type == flags.ErrHelp {
		fmt.Fprintln(cmd.c.stdout, strings.TrimRight(fe.Message, "\n"))
		return nil
	}
	return usagef("no command %q: sidecli help lists the commands", strings.Join(words, " "))
}

// overview is the text of sidecli help: every command by group, the
// connection options and the exit codes.
func overview() string {
	var b strings.Builder
	b.WriteString("sidecli: the command-line client of a sidenode's API. It prints " +
		"the node's answers as JSON.\n\n" +
		"Usage: sidecli [connection options] COMMAND [command options] [arguments]\n")
	specs := commands()
	width := 0
	for _, s := range specs {
		width = max(width, len(s.path))
	}
	for _, g := range groupOrder {
		var lines []string
		for _, s := range specs {
			if s.group == g {
				lines = append(lines, fmt.Sprintf("  %-*s  %s\n", width, s.path, s.short))
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n%s", g, strings.Join(lines, ""))
	}
	fmt.Fprintf(&b, "\n  %-*s  %s\n", width, "help [COMMAND]", "List the commands, or describe one")

	// The connection options as go-flags prints them, without its usage
	// line.
	op := flags.NewNamedParser("sidecli", flags.None)
	if _, err := op.AddGroup("Connection Options", "", &options{}); err != nil {
		panic(err)
	}
	var help bytes.Buffer
	op.WriteHelp(&help)
	text := help.String()
	if i := strings.Index(text, "Connection Options:"); i >= 0 {
		text = text[i:]
	}
	b.WriteString("\n" + strings.TrimRight(text, "\n") + "\n")
	b.WriteString(`
Connection options go before the command. Each also comes from its SIDECLI_*
environment variable, or from an env file: the devnet writes
.devnet/<node>/sidecli.env for each node, so after
"source .devnet/node-a/sidecli.env" no option is needed, and
"sidecli --envfile=.devnet/node-b/sidecli.env status" talks to node-b. A flag
overrides all; a file named with --envfile overrides the environment, one
named by SIDECLI_ENVFILE does not.

Amounts are in satoshis (sat). Fee rates are in sat/vB on both chains (the
sidechain counts witnesses in full: 1 sat/vB = 1000 sat/kB, the unit its
mempool reports). Heights are block heights of the chain the command names.

Exit codes:
  0  success
  1  the node answered with an error (its message is printed)
  2  usage error: wrong command, option or value; nothing was sent
  3  the node could not be reached, or did not answer within --timeout
  4  checked and invalid: the node checked it and it breaks a rule (peg verify)

Run sidecli help COMMAND, or sidecli COMMAND --help, for a command's options.
`)
	return b.String()
}
