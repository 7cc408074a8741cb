package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// The question sidecli asks before an irreversible send (sendmain, send,
// peg in, peg out, stake create, bumpfee), and the passphrases it reads.

// terminal is where sidecli asks: standard input, and whether it is a
// terminal. Tests replace it.
var terminal = struct {
	in    io.Reader
	isTTY func() bool
	// readSecret reads a line without echo.
	readSecret func() ([]byte, error)
}{
	in:    os.Stdin,
	isTTY: func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
	readSecret: func() ([]byte, error) {
		return term.ReadPassword(int(os.Stdin.Fd()))
	},
}

// forceOption is the --force option of the commands that ask first.
type forceOption struct {
	Force bool `long:"force" description:"Do it without asking for confirmation; needed when standard input is not a terminal (scripts)"`
}

// confirm asks the user to confirm what (a noun phrase: "a payment of
// 1000 sat to ..."), unless --force was given. Without a terminal to ask on, it
// refuses with a usage error that says to add --force. Nothing is sent
// unless the answer is y or yes.
func (c *client) confirm(force bool, cmd, what string) error {
	if force {
		return nil
	}
	if !terminal.isTTY() {
		return usagef("%s cannot be undone, and standard input is not a "+
			"terminal to confirm it on: add --force to %s without a question", what, cmd)
	}
	fmt.Fprintf(c.stderr, "%s%s cannot be undone. Go ahead? [y/N] ", strings.ToUpper(what[:1]), what[1:])
	line, _ := bufio.NewReader(terminal.in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return usagef("not confirmed: nothing was sent")
}

// passphrase reads a passphrase from the file the option flag names, or
// else with readPassphrase.
func (c *client) passphrase(flag, file, prompt string) (string, error) {
	if file == "" {
		return c.readPassphrase(prompt)
	}
	f, err := os.Open(expandPath(file))
	if err != nil {
		return "", usagef("%s %s: cannot read it: %v", flag, file, errors.Unwrap(err))
	}
	defer f.Close()
	line, err := readLine(f)
	if err != nil || line == "" {
		return "", usagef("%s %s is empty: write the passphrase on its first line", flag, file)
	}
	return line, nil
}

// readPassphrase reads a passphrase: from the terminal without echo, after
// a prompt on stderr, or as one line of standard input when it is not a
// terminal (scripts).
func (c *client) readPassphrase(prompt string) (string, error) {
	if terminal.isTTY() {
		fmt.Fprintf(c.stderr, "%s: ", prompt)
		b, err := terminal.readSecret()
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", usagef("cannot read the passphrase: %v", err)
		}
		return string(b), nil
	}
	line, err := readLine(terminal.in)
	if err != nil {
		return "", usagef("%s: give it as a line of standard input", prompt)
	}
	return line, nil
}

// readLine reads one line of r, byte by byte so that the next call reads
// the next line, without its line ending.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	var buf [1]byte
	for {
		n, err := r.Read(buf[:])
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
			continue
		}
		if err != nil {
			if b.Len() > 0 {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			return "", err
		}
	}
}
