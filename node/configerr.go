package node

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	flags "github.com/jessevdk/go-flags"
)

// go-flags' messages, to be said again in the user's terms.
var (
	// unknownFlagRE matches "unknown flag `name'".
	unknownFlagRE = regexp.MustCompile("^unknown flag `(.*)'$")

	// badValueRE matches "invalid argument for flag `--name' (expected
	// int32): strconv.ParseInt: parsing "abc": invalid syntax".
	badValueRE = regexp.MustCompile("^invalid argument for flag `([^']*)' " +
		`\(expected ([^)]*)\): strconv\.\w+: parsing "(.*)": (.*)$`)

	// iniValueRE matches the ini parser's strconv message.
	iniValueRE = regexp.MustCompile(`^strconv\.(\w+): parsing "(.*)": (.*)$`)

	// unknownGroupRE matches "could not find option group `name'".
	unknownGroupRE = regexp.MustCompile("^could not find option group `(.*)'$")
)

// longNames returns every long option name of parser, with its namespace
// (btcd.rpcpass), sorted.
func longNames(parser *flags.Parser) []string {
	var names []string
	var walk func(groups []*flags.Group)
	walk = func(groups []*flags.Group) {
		for _, g := range groups {
			for _, o := range g.Options() {
				if o.LongName != "" {
					names = append(names, o.LongNameWithNamespace())
				}
			}
			walk(g.Groups())
		}
	}
	walk(parser.Groups())
	sort.Strings(names)
	return names
}

// suggest returns the long option names that the user may have meant by
// name: the same name in another group (rpcpass for btcd.rpcpass), or a
// name one or two letters off.
func suggest(parser *flags.Parser, name string) []string {
	name = strings.TrimLeft(name, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	base := name[strings.LastIndexByte(name, '.')+1:]
	var out []string
	for _, full := range longNames(parser) {
		fullBase := full[strings.LastIndexByte(full, '.')+1:]
		if fullBase == base || editDistance(fullBase, base) <= 1 ||
			editDistance(full, name) <= 2 {
			out = append(out, "--"+full)
		}
	}
	return out
}

// didYouMean is the sentence that offers the suggestions, or "".
func didYouMean(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "; did you mean " + names[0] + "?"
	}
	return "; did you mean one of " + strings.Join(names, ", ") + "?"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// valueProblem says what is wrong with a value strconv refused.
func valueProblem(reason string) string {
	if strings.Contains(reason, "out of range") {
		return "is out of range"
	}
	return "is not a number"
}

// userFlagsError rewrites a go-flags command-line error in the user's
// terms: the flag as typed, with what it takes, and never a strconv
// message. It keeps the *flags.Error type, so that the caller still
// reports a usage error.
func userFlagsError(parser *flags.Parser, err *flags.Error) error {
	msg := err.Message
	if m := unknownFlagRE.FindStringSubmatch(msg); m != nil {
		dashes := "--"
		if len(m[1]) == 1 {
			dashes = "-"
		}
		msg = "unknown option " + dashes + m[1] + didYouMean(suggest(parser, m[1]))
	} else if m := badValueRE.FindStringSubmatch(msg); m != nil {
		want := m[2]
		if strings.HasPrefix(want, "int") || strings.HasPrefix(want, "uint") {
			want = "a whole number"
		}
		msg = fmt.Sprintf("%s=%s: the value %s (want %s)", m[1], m[3],
			valueProblem(m[4]), want)
	} else {
		msg = strings.NewReplacer("`", "", "'", "").Replace(msg)
	}
	return &flags.Error{Type: err.Type, Message: msg}
}

// ConfigFileError is the error LoadConfig returns for a config file it
// cannot parse: a usage error, as a wrong flag is.
type ConfigFileError struct {
	// Msg names the file, the line where known, and what is wrong.
	Msg string
}

// Error returns Msg.
func (e *ConfigFileError) Error() string { return e.Msg }

// configFileError rewrites an error of the config file in the user's terms:
// the file and line, the option as written there, and where it belongs.
// A file it cannot read is not a usage error.
func configFileError(parser *flags.Parser, file string, err error) error {
	switch err.(type) {
	case *flags.IniError, *flags.Error:
		return &ConfigFileError{Msg: configFileMessage(parser, file, err)}
	}
	return fmt.Errorf("config file %s: %w", file, err)
}

func configFileMessage(parser *flags.Parser, file string, err error) string {
	switch e := err.(type) {
	case *flags.IniError:
		msg := e.Message
		if name, ok := strings.CutPrefix(msg, "unknown option: "); ok {
			msg = "unknown option " + name
			if s := suggest(parser, name); len(s) > 0 {
				var ini []string
				for _, flag := range s {
					ini = append(ini, iniName(flag))
				}
				msg += "; did you mean " + strings.Join(ini, " or ") + "?"
			}
		} else if m := iniValueRE.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("the value %q %s", m[2], valueProblem(m[3]))
		}
		return fmt.Sprintf("config file %s line %d: %s", e.File, e.LineNumber, msg)
	case *flags.Error:
		if m := unknownGroupRE.FindStringSubmatch(e.Message); m != nil {
			return fmt.Sprintf("config file %s: unknown section [%s]; the "+
				"sections are [Application Options] and %s", file, m[1],
				strings.Join(sectionNames(parser), ", "))
		}
	}
	return fmt.Sprintf("config file %s: %s", file,
		strings.NewReplacer("`", "", "'", "").Replace(err.Error()))
}

// iniName says how the config file spells a long flag: btcd.rpcpass
// becomes "rpcpass= in the [btcd] section".
func iniName(flag string) string {
	name := strings.TrimPrefix(flag, "--")
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return fmt.Sprintf("%s= in the [%s] section", name[i+1:], name[:i])
	}
	return name + "= in [Application Options]"
}

// sectionNames lists the config file's sections other than [Application
// Options], bracketed.
func sectionNames(parser *flags.Parser) []string {
	var out []string
	for _, g := range parser.Groups() {
		for _, sub := range g.Groups() {
			if sub.Namespace != "" {
				out = append(out, "["+sub.Namespace+"]")
			}
		}
	}
	return out
}
