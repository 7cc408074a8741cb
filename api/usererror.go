package api

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the domain of the google.rpc.ErrorInfo detail that
// carries a rule's name (the reason, "ErrMempoolLowFee") beside an error
// message in words.
const ErrorDomain = "sidenode.api.v1"

// leadingRule matches a rule's name that starts a message ("ErrMempoolLowFee: "),
// and anyRule a rule's name anywhere in it.
var (
	leadingRule = regexp.MustCompile(`^(Err[A-Z][A-Za-z0-9]*): `)
	anyRule     = regexp.MustCompile(`\bErr([A-Z][A-Za-z0-9]*)\b`)
	goPackage   = regexp.MustCompile(`\b(sideblock|pegbox|mainstake|wallet|p2p|store|withdraw|opreturn): `)
)

// userMessage rewrites a backend's message in the user's terms: the rule's
// name that starts it becomes the reason, returned apart for an
// ErrorInfo detail; a rule's name elsewhere is spelled out in words
// ("mempool low fee"); Go package prefixes ("sideblock: ") are dropped.
func userMessage(msg string) (words, reason string) {
	if m := leadingRule.FindStringSubmatch(msg); m != nil {
		reason, msg = m[1], msg[len(m[0]):]
	}
	msg = anyRule.ReplaceAllStringFunc(msg, func(id string) string {
		return strings.ToLower(spellCamel(strings.TrimPrefix(id, "Err")))
	})
	msg = goPackage.ReplaceAllString(msg, "")
	return msg, reason
}

// spellCamel turns "MempoolLowFee" into "Mempool Low Fee".
func spellCamel(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// userStatus returns the status of code with msg in the user's terms, and
// the rule's name it started with as an ErrorInfo detail.
func userStatus(code codes.Code, msg string) error {
	words, reason := userMessage(msg)
	st := status.New(code, words)
	if reason == "" {
		return st.Err()
	}
	if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason,
		Domain: ErrorDomain}); err == nil {
		st = withInfo
	}
	return st.Err()
}

// jsonPosition matches protojson's position of an error, "(line 1:2)".
var jsonPosition = regexp.MustCompile(`\(line (\d+):(\d+)\)`)

// jsonError rewrites an error of the REST gateway's JSON decoder in the
// user's terms: no "proto:" prefix, the position in words, and what to do
// about an unknown field.
func jsonError(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	msg := strings.TrimSpace(strings.TrimPrefix(err.Error(), "proto:"))
	msg = jsonPosition.ReplaceAllString(msg, "at line $1, column $2")
	msg = strings.ReplaceAll(msg, "\u00a0", " ")
	if strings.Contains(msg, "unknown field") {
		msg += ": the body takes the request's fields by their names in " +
			"the API reference (api.swagger.json), such as amount_sat"
	}
	return fmt.Errorf("the JSON body is not a request of this method: %s", msg)
}
