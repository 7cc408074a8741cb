package bitcoinrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// signature describes a method's parameters, in order, the first
// required of them required.
type signature struct {
	method   string
	names    []string
	required int
}

// usage is bitcoind's answer to a wrong number of parameters: the
// method's usage line.
func (sg signature) usage() *rpcError {
	var b strings.Builder
	b.WriteString(sg.method)
	for i, n := range sg.names {
		if i < sg.required {
			fmt.Fprintf(&b, " %q", n)
		} else {
			fmt.Fprintf(&b, " ( %q )", n)
		}
	}
	return errorf(codeMisc, "%s", b.String())
}

// parse returns the parameters by position: raw is absent, null, an array
// or an object of named parameters. A missing parameter is nil.
func (sg signature) parse(raw json.RawMessage) ([]json.RawMessage, *rpcError) {
	out := make([]json.RawMessage, len(sg.names))
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, nullJSON):
	case raw[0] == '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, errorf(codeParse, "Parse error: params: %v", err)
		}
		if len(arr) > len(sg.names) {
			return nil, sg.usage()
		}
		copy(out, arr)
	case raw[0] == '{':
		var named map[string]json.RawMessage
		if err := json.Unmarshal(raw, &named); err != nil {
			return nil, errorf(codeParse, "Parse error: params: %v", err)
		}
		for k, v := range named {
			i := indexOf(sg.names, k)
			if i < 0 {
				return nil, errorf(codeInvalidParam, "Unknown named parameter %s", k)
			}
			out[i] = v
		}
	default:
		return nil, errorf(codeInvalidRequest, "Params must be an array or object")
	}
	for i := 0; i < sg.required; i++ {
		if out[i] == nil || bytes.Equal(bytes.TrimSpace(out[i]), nullJSON) {
			return nil, sg.usage()
		}
	}
	for i := sg.required; i < len(out); i++ {
		if out[i] != nil && bytes.Equal(bytes.TrimSpace(out[i]), nullJSON) {
			out[i] = nil
		}
	}
	return out, nil
}

func indexOf(names []string, k string) int {
	for i, n := range names {
		if n == k {
			return i
		}
	}
	return -1
}

// jsonType names a JSON value's type as bitcoind's type errors do.
func jsonType(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// typeError is bitcoind's answer to a parameter of the wrong type.
func typeError(raw json.RawMessage, want string) *rpcError {
	return errorf(codeType, "JSON value of type %s is not of expected type %s", jsonType(raw), want)
}

// stringParam decodes a string parameter.
func stringParam(raw json.RawMessage) (string, *rpcError) {
	if jsonType(raw) != "string" {
		return "", typeError(raw, "string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", typeError(raw, "string")
	}
	return s, nil
}
