package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The exit codes of sidecli.
const (
	// ExitOK: the command succeeded.
	ExitOK = 0

	// ExitNodeError: the node answered with an error (its message is
	// printed), or the command failed after the node answered.
	ExitNodeError = 1

	// ExitUsage: the command line is wrong: an unknown command or option,
	// a missing argument, a value that cannot be right (a negative amount,
	// an address of the other chain or of another network). Nothing was
	// sent to the node.
	ExitUsage = 2

	// ExitUnreachable: the node could not be reached or did not answer:
	// nothing listens at --rpcserver, the TLS certificate does not match,
	// its certificate or credential file is missing, or no answer came
	// within --timeout.
	ExitUnreachable = 3

	// ExitInvalid: the node checked what was asked and found it invalid
	// (peg verify of a payout that breaks a rule). The answer is printed.
	ExitInvalid = 4
)

// cliError is an error with the exit code it ends sidecli with.
type cliError struct {
	code int
	msg  string
}

func (e *cliError) Error() string { return e.msg }

// usagef returns a usage error (ExitUsage).
func usagef(format string, args ...any) error {
	return &cliError{code: ExitUsage, msg: fmt.Sprintf(format, args...)}
}

// unreachablef returns an error of a node that could not be reached
// (ExitUnreachable).
func unreachablef(format string, args ...any) error {
	return &cliError{code: ExitUnreachable, msg: fmt.Sprintf(format, args...)}
}

// exitCode returns the exit code err ends sidecli with.
func exitCode(err error) int {
	var e *cliError
	if errors.As(err, &e) {
		return e.code
	}
	return ExitNodeError
}

// fields maps the request fields a node's message may name to what the
// user typed: a flag ("--amount") or an argument ("<txid>").
type fields map[string]string

// pageFields are the fields of every paginated request.
var pageFields = fields{"offset": "--offset", "limit": "--limit"}

// with returns f with more's entries added.
func (f fields) with(more fields) fields {
	out := fields{}
	for k, v := range f {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// errIdent matches a Go error identifier such as ErrMempoolLowFee, with
// the ": " that follows it when it starts a message.
var errIdent = regexp.MustCompile(`\bErr([A-Z][A-Za-z0-9]*)(: )?`)

// translate rewrites a node's message in the user's terms: the request
// fields it names become the flags the user typed, and Go error
// identifiers ("ErrDepositDust: ...") are dropped where a description
// follows them, or spelled out ("deposit dust") where none does.
func translate(msg string, f fields) string {
	msg = errIdent.ReplaceAllStringFunc(msg, func(m string) string {
		if strings.HasSuffix(m, ": ") {
			return ""
		}
		return strings.ToLower(splitCamel(strings.TrimPrefix(m, "Err")))
	})
	// Longest names first, so that fee_rate_sat_kb is replaced before a
	// shorter name inside it could be.
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, k := range names {
		re := regexp.MustCompile(`(^|[^A-Za-z0-9_.\-])` + regexp.QuoteMeta(k) + `($|[^A-Za-z0-9_])`)
		msg = re.ReplaceAllString(msg, "${1}"+f[k]+"${2}")
	}
	return msg
}

// splitCamel turns "MempoolLowFee" into "Mempool Low Fee".
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

// callError turns the error of a call to the node at addr into a message
// for the user. reached tells whether a connection to addr was ever made:
// "cannot reach the node" is said only when none was.
func callError(addr string, timeout time.Duration, reached bool, err error, f fields) error {
	if errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
		if !reached {
			return unreachablef("cannot reach the node at %s: no connection "+
				"within --timeout %v (is --rpcserver right?)", addr, timeout)
		}
		return unreachablef("the node at %s did not answer within --timeout "+
			"%v: it may be frozen or busy; try again, or with a longer "+
			"--timeout", addr, timeout)
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		switch {
		case !reached:
			return unreachablef("cannot reach the node at %s: nothing "+
				"answers there. Is the node running, and are --network "+
				"and --rpcserver (or SIDECLI_NETWORK and "+
				"SIDECLI_RPCSERVER) the node's?", addr)
		case strings.Contains(msg, "handshake") || strings.Contains(msg, "certificate"):
			return unreachablef("the node at %s refused the TLS connection: "+
				"its certificate is not --tlscert (%s); give the node's "+
				"own tls.cert, from its data dir", addr, tlsHint(msg))
		case strings.HasPrefix(msg, "connection error") || strings.Contains(msg, "connection closed"):
			return unreachablef("the connection to the node at %s broke: "+
				"the node may be stopping; try again", addr)
		}
		return fmt.Errorf("the node cannot do it now: %s", translate(msg, f))
	case codes.Unauthenticated:
		return fmt.Errorf("the node refused the credential: %s; use the "+
			"admin.cred or readonly.cred of the node's data dir "+
			"(--credential, --datadir)", msg)
	case codes.PermissionDenied:
		return fmt.Errorf("permission denied: %s", msg)
	case codes.Unimplemented:
		return fmt.Errorf("the node does not serve this: %s", translate(msg, f))
	}
	return errors.New(translate(msg, f))
}

// tlsHint shortens a TLS handshake message to its cause.
func tlsHint(msg string) string {
	switch {
	case strings.Contains(msg, "unknown authority"):
		return "signed by another key"
	case strings.Contains(msg, "not valid for"):
		return "made for another host name"
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "the node serves no TLS here: --notls?"
	}
	return "the handshake failed"
}
