package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	flags "github.com/jessevdk/go-flags"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
)

// client runs one command.
type client struct {
	opts   options
	env    env
	stdout io.Writer
	stderr io.Writer

	// Set once the options are parsed, before the command runs.
	timeout time.Duration
	params  *chainparams.Params
}

// Main runs sidecli with args (the command line without the program
// name), reading the environment with getenv, and returns the exit code:
// ExitOK, ExitNodeError, ExitUsage, ExitUnreachable or ExitInvalid. The
// node's answer is printed to stdout as JSON; messages go to stderr.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &client{env: env{getenv: getenv}, stdout: stdout, stderr: stderr}
	p := c.parser()
	_, err := p.ParseArgs(markNegatives(p, args))
	if err == nil {
		return ExitOK
	}

	var flagsErr *flags.Error
	if errors.As(err, &flagsErr) && flagsErr.Type == flags.ErrHelp {
		if activePath(p) == "" {
			// sidecli --help: the commands by group, as sidecli help.
			fmt.Fprint(stdout, overview())
			return ExitOK
		}
		fmt.Fprintln(stdout, strings.TrimRight(flagsErr.Message, "\n"))
		return ExitOK
	}
	name := "sidecli"
	if path := activePath(p); path != "" {
		name += " " + path
	}
	if errors.As(err, &flagsErr) {
		err = usageError(p, flagsErr, args)
	}
	code := exitCode(err)
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(stderr, "%s: %s\n", name, msg)
	}
	if code == ExitUsage {
		if path := activePath(p); path != "" {
			fmt.Fprintf(stderr, "Run sidecli help %s for its options and units.\n", path)
		} else {
			fmt.Fprintln(stderr, "Run sidecli help for the commands.")
		}
	}
	return code
}

// activePath returns the active command's path ("peg in"), or "".
func activePath(p *flags.Parser) string {
	var names []string
	for cmd := p.Active; cmd != nil; cmd = cmd.Active {
		names = append(names, cmd.Name)
	}
	return strings.Join(names, " ")
}

// markNegatives marks the words of args that are negative numbers and not
// the value of an option (see negMark), so that go-flags reads them as
// arguments. Words after -- are left alone.
func markNegatives(p *flags.Parser, args []string) []string {
	takesValue := make(map[string]bool)
	var walk func(cmd *flags.Command)
	walk = func(cmd *flags.Command) {
		for _, o := range allOptions(cmd.Group) {
			if _, isBool := o.Value().(bool); !isBool {
				takesValue["--"+o.LongName] = true
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(p.Command)
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if looksNegative(a) && (i == 0 || !takesValue[out[i-1]]) {
			out[i] = negMark + a
		}
	}
	return out
}

// execute runs a command once the options are parsed: it reads the env
// file and checks the options every command needs.
func (c *client) execute(cmd flags.Commander, args []string) error {
	envFile := c.opts.EnvFile
	if envFile == "" {
		envFile = c.env.getenv(EnvEnvFile)
	}
	if envFile != "" {
		f, err := loadEnvFile(envFile)
		if err != nil {
			return err
		}
		c.env.file, c.env.fileFirst = f, c.opts.EnvFile != ""
	}
	var err error
	if c.timeout, err = duration("--timeout", c.opts.Timeout, defaultTimeout); err != nil {
		return err
	}
	if c.params, err = c.network(); err != nil {
		return err
	}
	return cmd.Execute(args)
}

// noArgs rejects arguments a command does not take.
func noArgs(args []string) error {
	if len(args) == 0 {
		return nil
	}
	for i, a := range args {
		args[i] = strings.TrimPrefix(a, negMark)
	}
	return usagef("unexpected arguments %q: this command takes no more", args)
}

// rpcCall makes one API call and returns its response.
type rpcCall func(ctx context.Context, conn grpc.ClientConnInterface) (proto.Message, error)

// run connects, makes the call and prints the response as JSON. f names,
// for the node's error messages, the request fields as the user typed
// them.
func (c *client) run(f fields, call rpcCall) error {
	_, err := c.call(f, call, true)
	return err
}

// call connects and makes the call, and prints the response when print is
// set. It returns the response.
func (c *client) call(f fields, call rpcCall, print bool) (proto.Message, error) {
	cn, err := c.dial()
	if err != nil {
		return nil, err
	}
	defer cn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	resp, err := call(ctx, cn)
	if err != nil {
		return nil, c.callErr(cn, err, f)
	}
	if print {
		return resp, printJSON(c.stdout, resp)
	}
	return resp, nil
}

// printJSON prints m as indented JSON with the proto field names and every
// field, zero or not, and enum values as the README's words ("paid"), as
// api.MarshalJSON encodes it, indented for a stable layout.
func printJSON(w io.Writer, m proto.Message) error {
	b, err := api.MarshalJSON(m)
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

// quoted matches the names go-flags quotes as `name'.
var quoted = regexp.MustCompile("`([^`']*)[`']")

// usageError rewrites a go-flags error in sidecli's terms.
func usageError(p *flags.Parser, e *flags.Error, args []string) error {
	names := quoted.FindAllStringSubmatch(e.Message, -1)
	first := ""
	if len(names) > 0 {
		first = names[0][1]
	}
	path := activePath(p)
	switch e.Type {
	case flags.ErrUnknownFlag:
		flag := "--" + first
		if len(first) == 1 {
			flag = "-" + first
		}
		owners := optionOwners(p, first)
		switch {
		case len(owners) > 0 && path == "":
			example := owners[0]
			for _, a := range args {
				if cmd := p.Find(a); cmd != nil {
					example = a
					break
				}
			}
			return usagef("%s is an option of %s, not a connection option: "+
				"put it after the command (sidecli %s %s ...)", flag,
				strings.Join(owners, ", "), example, flag)
		case len(owners) > 0:
			return usagef("%s is not an option of %s: it is one of %s", flag,
				path, strings.Join(owners, ", "))
		case path == "":
			return usagef("unknown option %s: the connection options "+
				"are %s", flag, strings.Join(optionNames(p.Command), ", "))
		}
		cmd := p.Active
		for cmd.Active != nil {
			cmd = cmd.Active
		}
		if own := optionNames(cmd); len(own) > 0 {
			return usagef("unknown option %s: %s takes %s", flag, path,
				strings.Join(own, ", "))
		}
		return usagef("unknown option %s: %s takes no options", flag, path)

	case flags.ErrUnknownCommand:
		if path == "" {
			msg := fmt.Sprintf("unknown command %s", first)
			if len(names) > 1 {
				msg += fmt.Sprintf(" (did you mean %s?)", names[1][1])
			}
			return usagef("%s: sidecli help lists the commands", msg)
		}
		return usagef("%s has no subcommand %s: it has %s", path, first,
			strings.Join(subcommands(p), ", "))

	case flags.ErrCommandRequired:
		if path == "" {
			return usagef("no command given: sidecli help lists the commands")
		}
		return usagef("a subcommand is needed: %s", strings.Join(subcommands(p), ", "))

	case flags.ErrRequired:
		var missing []string
		for _, n := range names {
			missing = append(missing, describeMissing(p, n[1]))
		}
		return usagef("missing %s", strings.Join(missing, "; "))

	case flags.ErrExpectedArgument:
		opt := first
		if opt == "" {
			// The option's value check refused the next word, another
			// option: name the option before it.
			for i := 0; i+1 < len(args); i++ {
				if strings.HasPrefix(args[i], "-") && strings.HasPrefix(args[i+1], "-") &&
					!looksNegative(args[i+1]) {
					opt = args[i]
					break
				}
			}
		}
		if !strings.HasPrefix(opt, "-") {
			opt = "--" + opt
		}
		return usagef("%s needs a value", opt)

	case flags.ErrMarshal:
		return usagef("--%s: the value given is not valid for it", strings.TrimPrefix(first, "--"))

	case flags.ErrNoArgumentForBool:
		return usagef("%s takes no value: give it alone to turn it on", first)
	}
	return usagef("%s", strings.ReplaceAll(strings.ReplaceAll(e.Message, "`", ""), "'", ""))
}

// optionOwners returns the commands (by path) that have the long option
// name.
func optionOwners(p *flags.Parser, name string) []string {
	var owners []string
	var walk func(cmd *flags.Command, path string)
	walk = func(cmd *flags.Command, path string) {
		for _, sub := range cmd.Commands() {
			subPath := strings.TrimSpace(path + " " + sub.Name)
			for _, o := range allOptions(sub.Group) {
				if o.LongName == name {
					owners = append(owners, subPath)
				}
			}
			walk(sub, subPath)
		}
	}
	walk(p.Command, "")
	sort.Strings(owners)
	return owners
}

// allOptions returns the options of g and of its subgroups.
func allOptions(g *flags.Group) []*flags.Option {
	out := append([]*flags.Option(nil), g.Options()...)
	for _, sub := range g.Groups() {
		out = append(out, allOptions(sub)...)
	}
	return out
}

// optionNames lists a command's own options as --name.
func optionNames(cmd *flags.Command) []string {
	var out []string
	for _, o := range allOptions(cmd.Group) {
		if o.LongName != "help" {
			out = append(out, "--"+o.LongName)
		}
	}
	return out
}

// subcommands lists the active command's subcommands.
func subcommands(p *flags.Parser) []string {
	cmd := p.Command
	for cmd.Active != nil {
		cmd = cmd.Active
	}
	var out []string
	for _, sub := range cmd.Commands() {
		out = append(out, sub.Name)
	}
	sort.Strings(out)
	return out
}

// describeMissing names a missing option or argument with what it is.
func describeMissing(p *flags.Parser, name string) string {
	cmd := p.Command
	for cmd.Active != nil {
		cmd = cmd.Active
	}
	long := strings.TrimPrefix(name, "--")
	if o := cmd.FindOptionByLongName(long); o != nil {
		return fmt.Sprintf("--%s (%s)", long, o.Description)
	}
	for _, a := range cmd.Args() {
		if a.Name == name {
			return fmt.Sprintf("the argument <%s> (%s)", a.Name, a.Description)
		}
	}
	return name
}
