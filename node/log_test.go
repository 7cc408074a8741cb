package node

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
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
	seen := make(map[string]bool)
	for _, sub := range subsystems {
		if !tag.MatchString(sub.tag) {
			t.Errorf("subsystem tag %q is not four capitals", sub.tag)
		}
		if seen[sub.tag] {
			t.Errorf("subsystem tag %s is in the table twice", sub.tag)
		}
		seen[sub.tag] = true
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
	subsystemLoggers["MWCH"].Warnf("second line")
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

// TestEveryLoggerWired fails when a package of the module declares a
// UseLogger function (or another function ending in UseLogger, such as
// neutrinowatch.NeutrinoUseLogger) that the subsystems table does not wire:
// that package's log lines would be lost.
func TestEveryLoggerWired(t *testing.T) {
	root, module := moduleRoot(t)

	// The functions the table wires, by full name such as
	// github.com/mainstake/sidenode/p2p.UseLogger.
	wired := make(map[string]string)
	for _, sub := range subsystems {
		if sub.use == nil {
			continue
		}
		name := runtime.FuncForPC(reflect.ValueOf(sub.use).Pointer()).Name()
		if other, ok := wired[name]; ok {
			t.Errorf("%s is wired twice, to %s and %s", name, other,
				sub.tag)
		}
		wired[name] = sub.tag
	}

	declared := declaredUseLoggers(t, root, module)
	if len(declared) < 10 {
		// A guard for the test itself: the module has more than ten
		// packages that log, so finding fewer means the walk is wrong.
		t.Fatalf("found only %d UseLogger functions under %s: %v",
			len(declared), root, declared)
	}
	for _, name := range declared {
		if _, ok := wired[name]; !ok {
			t.Errorf("%s is not wired: add a row for it to subsystems "+
				"in node/log.go, and its tag to README.md and "+
				"sample-sidenode.conf", name)
		}
	}
}

// moduleRoot returns the directory of the module's go.mod and the module's
// path.
func moduleRoot(t *testing.T) (string, string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if path, ok := strings.CutPrefix(strings.TrimSpace(line),
			"module "); ok {

			return root, strings.TrimSpace(path)
		}
	}
	t.Fatal("go.mod has no module line")
	return "", ""
}

// declaredUseLoggers parses every non-test Go file of the module under root
// and returns the full names of its top-level functions whose names end in
// UseLogger.
func declaredUseLoggers(t *testing.T, root, module string) []string {
	t.Helper()
	var names []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry,
		err error) error {

		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") ||
				strings.HasPrefix(name, "_") ||
				name == "testdata" || name == "vendor" ||
				name == "node_modules") {

				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") ||
			strings.HasSuffix(path, "_test.go") {

			return nil
		}

		file, err := parser.ParseFile(fset, path, nil,
			parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := module
		if rel != "." {
			pkg += "/" + filepath.ToSlash(rel)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil ||
				!strings.HasSuffix(fn.Name.Name, "UseLogger") {

				continue
			}
			names = append(names, pkg+"."+fn.Name.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
