package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/wallet"
)

// The wallet's backup: the 24 words create prints and backupseed shows,
// and the words create --restore reads.

// backupWarning is said before and after the words.
const backupWarning = "WRITE DOWN THESE 24 WORDS, IN ORDER, AND KEEP THEM OFFLINE."

// backupHelp says what the words are.
var backupHelp = []string{
	"They are the wallet's backup: with them alone, sidecli create --restore",
	"(or any BIP39 wallet: English words, no BIP39 passphrase) derives every",
	"key of this wallet again. Anyone who reads them can spend its coins.",
	"No one from this project will ever ask for them.",
}

// printWords prints the numbered words, four to a line, between the
// warnings.
func printWords(w io.Writer, words []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", backupWarning)
	for _, l := range backupHelp {
		fmt.Fprintln(&b, l)
	}
	const rule = "----------------------- 24 words -----------------------"
	fmt.Fprintf(&b, "\n%s\n", rule)
	for i := 0; i < len(words); i += 4 {
		var line strings.Builder
		for j := i; j < min(i+4, len(words)); j++ {
			fmt.Fprintf(&line, "%2d. %-9s  ", j+1, words[j])
		}
		fmt.Fprintln(&b, strings.TrimRight(line.String(), " "))
	}
	fmt.Fprintf(&b, "%s\n\n%s\n", strings.Repeat("-", len(rule)), backupWarning)
	_, err := io.WriteString(w, b.String())
	return err
}

// printBackup prints backupseed's answer: the words, or a legacy wallet's
// hex seed with what it is, then the derivation paths.
func printBackup(w io.Writer, r *apiv1.BackupSeedResponse) error {
	var b strings.Builder
	if r.GetLegacy() || len(r.GetMnemonic()) == 0 {
		fmt.Fprintln(&b, "This wallet was created before backups were words (seed file version 1):")
		fmt.Fprintln(&b, "it has no words. Its backup is the BIP32 seed below, in hex: write it down")
		fmt.Fprintln(&b, "and keep it offline. Anyone who reads it can spend the wallet's coins. Do not")
		fmt.Fprintln(&b, "turn it into BIP39 words: words made from it restore a different wallet.")
		fmt.Fprintln(&b, "Other BIP32 wallets import the master key below instead.")
		fmt.Fprintf(&b, "\nBIP32 seed (hex): %s\nmaster key:       %s\n", r.GetSeedHex(), r.GetMasterXprv())
	} else {
		if err := printWords(&b, r.GetMnemonic()); err != nil {
			return err
		}
	}
	fmt.Fprintln(&b, "\nThe wallet's keys derive at:")
	for _, d := range r.GetDerivation() {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// readWords reads the words of a backup for create --restore: from file
// when it is given, else on the terminal after a prompt, lines until 24
// words or an empty line, else as lines of standard input until 24 words
// or its end. It checks them before anything is sent: a wrong word, a
// wrong number of words or a wrong checksum is a usage error.
func (c *client) readWords(file string) ([]string, error) {
	var text string
	switch {
	case file != "":
		b, err := os.ReadFile(expandPath(file))
		if err != nil {
			return nil, usagef("--mnemonic-file %s: cannot read it: %v", file, errors.Unwrap(err))
		}
		text = string(b)
	default:
		tty := terminal.isTTY()
		if tty {
			fmt.Fprintf(c.stderr, "The %d words of the wallet's backup, in order, separated by spaces "+
				"(numbers are skipped):\n", wallet.MnemonicWords)
		}
		var lines []string
		for len(wallet.MnemonicFields(strings.Join(lines, " "))) < wallet.MnemonicWords {
			line, err := readLine(terminal.in)
			if err != nil || (tty && strings.TrimSpace(line) == "") {
				break
			}
			lines = append(lines, line)
		}
		text = strings.Join(lines, "\n")
		if strings.TrimSpace(text) == "" {
			if tty {
				return nil, usagef("no words given: no wallet was created")
			}
			return nil, usagef("--restore reads the %d words of the backup from standard input: "+
				"give them there (or use --mnemonic-file)", wallet.MnemonicWords)
		}
	}
	if _, err := wallet.ParseMnemonic(text); err != nil {
		return nil, usagef("%v: no wallet was created", err)
	}
	return wallet.MnemonicFields(text), nil
}
