package node

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	flags "github.com/jessevdk/go-flags"
)

// TestConfigErrorsInUserTerms: a wrong, misplaced or unknown flag, and a
// config file error, name the flag or the file's line as the user wrote
// it, say where it belongs, and never show go-flags' quoting or a strconv
// message.
func TestConfigErrorsInUserTerms(t *testing.T) {
	home := withHome(t)
	n := 0
	conf := func(text string) string {
		n++
		path := filepath.Join(home, strconv.Itoa(n), "t.conf")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return "--configfile=" + path
	}
	tests := []struct {
		name  string
		args  []string
		usage bool     // a *flags.Error, else a *ConfigFileError
		want  []string // in the message
	}{
		{"misplaced flag", []string{"--rpcpass=x"}, true,
			[]string{"unknown option --rpcpass", "did you mean --btcd.rpcpass?"}},
		{"mistyped flag", []string{"--btcd.rpcpas=x"}, true,
			[]string{"unknown option --btcd.rpcpas", "--btcd.rpcpass"}},
		{"unknown short flag", []string{"-x"}, true, []string{"unknown option -x"}},
		{"not a number", []string{"--undodepth=abc"}, true,
			[]string{"--undodepth=abc", "not a number", "a whole number"}},
		{"out of range", []string{"--undodepth=99999999999"}, true,
			[]string{"--undodepth=99999999999", "out of range"}},
		{"file: misplaced option", []string{conf("[Application Options]\nrpcpass=x\n")}, false,
			[]string{"t.conf line 2", "unknown option rpcpass", "rpcpass= in the [btcd] section"}},
		{"file: mistyped option", []string{conf("[btcd]\nrpcpas=x\n")}, false,
			[]string{"t.conf line 2", "unknown option rpcpas", "rpcpass= in the [btcd] section"}},
		{"file: not a number", []string{conf("undodepth=abc\n")}, false,
			[]string{"t.conf line 1", `"abc" is not a number`}},
		{"file: unknown section", []string{conf("[bogus]\nx=1\n")}, false,
			[]string{"t.conf", "unknown section [bogus]", "[btcd]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadConfig(tc.args)
			if err == nil {
				t.Fatal("LoadConfig accepted it")
			}
			var (
				flagsErr *flags.Error
				fileErr  *ConfigFileError
			)
			if got := errors.As(err, &flagsErr); got != tc.usage {
				t.Errorf("flags error %v, want %v (%v)", got, tc.usage, err)
			}
			if got := errors.As(err, &fileErr); got == tc.usage {
				t.Errorf("config file error %v, want %v (%v)", got, !tc.usage, err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not say %q", msg, w)
				}
			}
			for _, bad := range []string{"strconv", "`", "parsing"} {
				if strings.Contains(msg, bad) {
					t.Errorf("%q holds %q", msg, bad)
				}
			}
		})
	}
}
