package bitcoinrpc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// bitcoind's JSON-RPC error codes (src/rpc/protocol.h) that the server
// answers with.
const (
	codeMisc            = -1 // RPC_MISC_ERROR: a wrong number of parameters, with the usage
	codeType            = -3 // RPC_TYPE_ERROR: a parameter of the wrong JSON type
	codeInvalidAddress  = -5 // RPC_INVALID_ADDRESS_OR_KEY
	codeInvalidParam    = -8 // RPC_INVALID_PARAMETER: a value out of range, an unknown named parameter
	codeNotConnected    = -9 // RPC_CLIENT_NOT_CONNECTED: the node has no chain to mine on yet
	codeInIBD           = -10
	codeDeserialization = -22 // RPC_DESERIALIZATION_ERROR: submitblock's hex is no block
	codeInvalidRequest  = -32600
	codeMethodNotFound  = -32601
	codeInvalidParams   = -32602
	codeInternal        = -32603
	codeParse           = -32700
)

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

func errorf(code int, format string, args ...any) *rpcError {
	return &rpcError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// request is one decoded call. ID is nil when the call carries no "id"
// member at all (a JSON-RPC 2.0 notification), the JSON null when it
// carries null.
type request struct {
	V2     bool
	ID     json.RawMessage
	Method string
	Params json.RawMessage
}

// notification says whether a call wants no answer: JSON-RPC 2.0 without
// an id. A JSON-RPC 1.0 call is always answered, as bitcoind does.
func (r *request) notification() bool { return r.V2 && r.ID == nil }

// wireRequest is a call as it comes in.
type wireRequest struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// response is one answer. In JSON-RPC 1.0 both result and error are
// present, one of them null; in 2.0 only one is, and "jsonrpc" is "2.0".
type response struct {
	v2     bool
	id     json.RawMessage
	result any
	err    *rpcError
}

var nullJSON = json.RawMessage("null")

// MarshalJSON writes the response in its call's version.
func (r *response) MarshalJSON() ([]byte, error) {
	id := r.id
	if id == nil {
		id = nullJSON
	}
	if r.v2 {
		if r.err != nil {
			return json.Marshal(struct {
				JSONRPC string          `json:"jsonrpc"`
				Error   *rpcError       `json:"error"`
				ID      json.RawMessage `json:"id"`
			}{"2.0", r.err, id})
		}
		return json.Marshal(struct {
			JSONRPC string          `json:"jsonrpc"`
			Result  any             `json:"result"`
			ID      json.RawMessage `json:"id"`
		}{"2.0", r.result, id})
	}
	return json.Marshal(struct {
		Result any             `json:"result"`
		Error  *rpcError       `json:"error"`
		ID     json.RawMessage `json:"id"`
	}{r.result, r.err, id})
}

// decodeBody splits a request body into its calls: one object, or a batch
// (an array of them). A body that is not JSON is a parse error; a batch
// that is empty or longer than maxBatch is an invalid request. Each call
// is decoded on its own: one that is not a call (not an object, a method
// that is not a string, an id that is neither a string, a number nor
// null) comes back as the error to answer it with, beside the others.
// It never panics, and it allocates in proportion to the body.
func decodeBody(body []byte, maxBatch int) (calls []request, errs []*rpcError, batch bool, err *rpcError) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil, false, errorf(codeParse, "Parse error: empty request body")
	}
	if body[0] != '[' {
		c, e := decodeCall(body)
		return []request{c}, []*rpcError{e}, false, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err != nil {
		return nil, nil, true, errorf(codeParse, "Parse error: %v", err)
	}
	switch {
	case len(elems) == 0:
		return nil, nil, true, errorf(codeInvalidRequest, "Invalid Request: empty batch")
	case len(elems) > maxBatch:
		return nil, nil, true, errorf(codeInvalidRequest, "Invalid Request: a batch "+
			"of %d calls; at most %d", len(elems), maxBatch)
	}
	calls = make([]request, len(elems))
	errs = make([]*rpcError, len(elems))
	for i, e := range elems {
		calls[i], errs[i] = decodeCall(e)
	}
	return calls, errs, true, nil
}

// decodeCall decodes one call. On an error the returned request still
// carries what could be read of the version and the id, for the answer.
func decodeCall(raw []byte) (request, *rpcError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		if !json.Valid(raw) {
			return request{}, errorf(codeParse, "Parse error: the request is not JSON")
		}
		return request{}, errorf(codeInvalidRequest, "Invalid Request object: not a JSON object")
	}
	var w wireRequest
	if err := json.Unmarshal(raw, &w); err != nil {
		return request{}, errorf(codeParse, "Parse error: %v", err)
	}
	var r request
	if w.JSONRPC != nil {
		var v string
		if json.Unmarshal(w.JSONRPC, &v) == nil && v == "2.0" {
			r.V2 = true
		}
	}
	if w.ID != nil {
		switch w.ID[0] {
		case '"', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			r.ID = w.ID
		default:
			return r, errorf(codeInvalidRequest, "Invalid Request object: id "+
				"must be a string, a number or null")
		}
	}
	if w.Method == nil || w.Method[0] != '"' {
		return r, errorf(codeInvalidRequest, "Invalid Request object: method "+
			"must be a string")
	}
	if err := json.Unmarshal(w.Method, &r.Method); err != nil {
		return r, errorf(codeInvalidRequest, "Invalid Request object: method: %v", err)
	}
	if w.Params != nil && !bytes.Equal(w.Params, nullJSON) && w.Params[0] != '[' && w.Params[0] != '{' {
		return r, errorf(codeInvalidRequest, "Invalid Request object: params "+
			"must be an array or an object")
	}
	r.Params = w.Params
	return r, nil
}
