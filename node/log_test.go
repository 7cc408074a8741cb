package node

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/btcsuite/btclog"
)

// resetLogLevels sets every subsystem back to info when the test ends.
func resetLogLevels(t *testing.T) {
	t.Cleanup(func() {
		for _, logger := range subsystemLoggers {
			logger.SetLevel(btclog.LevelInfo)
		}
	})
}

func TestSubsystemTags(t *testing.T) {
	tag := regexp.MustCompile(`^[A-Z0-9]{4}$`)
	for name := range subsystemLoggers {
		if !tag.MatchString(name) {
			t.Errorf("subsystem tag %q is not four capitals", name)
		}
	}
	if subsystemLoggers["SDND"] != log {
		t.Error("the node's own logger is not SDND")
	}
}

func TestSetLogLevels(t *testing.T) {
	resetLogLevels(t)

	tests := []struct {
		spec string
		want map[string]btclog.Level // levels after SetLogLevels
		rest btclog.Level            // level of every other subsystem
	}{
		{"info", nil, btclog.LevelInfo},
		{"debug", nil, btclog.LevelDebug},
		{"warn,MWCH=debug,STOR=trace", map[string]btclog.Level{
			"MWCH": btclog.LevelDebug,
			"STOR": btclog.LevelTrace,
		}, btclog.LevelWarn},
		// A subsystem level wins over the general one wherever it
		// stands; tags and levels are case-insensitive.
		{"btcw=TRACE, error", map[string]btclog.Level{
			"BTCW": btclog.LevelTrace,
		}, btclog.LevelError},
		{"off", nil, btclog.LevelOff},
	}
	for _, test := range tests {
		if err := SetLogLevels(test.spec); err != nil {
			t.Fatalf("SetLogLevels(%q): %v", test.spec, err)
		}
		for tag, logger := range subsystemLoggers {
			want, ok := test.want[tag]
			if !ok {
				want = test.rest
			}
			if logger.Level() != want {
				t.Errorf("SetLogLevels(%q): %s at %v, want %v",
					test.spec, tag, logger.Level(), want)
			}
		}
	}

	// Only pairs: the other subsystems keep their levels.
	if err := SetLogLevels("info"); err != nil {
		t.Fatal(err)
	}
	if err := SetLogLevels("LOTT=debug"); err != nil {
		t.Fatal(err)
	}
	if subsystemLoggers["LOTT"].Level() != btclog.LevelDebug ||
		subsystemLoggers["SDND"].Level() != btclog.LevelInfo {

		t.Fatal("a subsystem-only spec changed other subsystems")
	}
}

func TestSetLogLevelsErrors(t *testing.T) {
	resetLogLevels(t)
	if err := SetLogLevels("info"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		spec    string
		wantErr error
	}{
		{"", errMalformedLogLevel},
		{"loud", errUnknownLogLevel},
		{"info,MWCH=loud", errUnknownLogLevel},
		{"info,XXXX=debug", errUnknownSubsystem},
		{"info,=debug", errUnknownSubsystem},
		{"info,MWCH", errMalformedLogLevel},
		{"info,debug", errMalformedLogLevel},
		{"info,,MWCH=debug", errMalformedLogLevel},
		{"debug,MWCH=trace,STOR=bogus", errUnknownLogLevel},
	}
	for _, test := range tests {
		err := SetLogLevels(test.spec)
		if !errors.Is(err, test.wantErr) {
			t.Errorf("SetLogLevels(%q) = %v, want %v", test.spec, err,
				test.wantErr)
			continue
		}
		t.Logf("%q: %v", test.spec, err)
	}

	// A spec with an error changes nothing, not even its valid part.
	for tag, logger := range subsystemLoggers {
		if logger.Level() != btclog.LevelInfo {
			t.Errorf("%s changed to %v by a bad spec", tag,
				logger.Level())
		}
	}
}

func TestInitLogRotator(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "regtest", "sidenode.log")
	if err := InitLogRotator(path); err != nil {
		t.Fatal(err)
	}
	log.Info("first line")
	mwchLog.Warnf("second line")
	CloseLogRotator()
	CloseLogRotator() // closing twice is harmless

	log.Info("not in the file") // stdout only
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{"[INF] SDND: first line",
		"[WRN] MWCH: second line"} {

		if !strings.Contains(text, want) {
			t.Errorf("log file lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "not in the file") {
		t.Error("a line logged after CloseLogRotator reached the file")
	}

	// Reopening appends.
	if err := InitLogRotator(path); err != nil {
		t.Fatal(err)
	}
	log.Info("third line")
	CloseLogRotator()
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "first line") ||
		!strings.Contains(string(data), "third line") {

		t.Errorf("reopened log file lost lines:\n%s", data)
	}
}
