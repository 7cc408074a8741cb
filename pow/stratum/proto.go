package stratum

import (
	"encoding/json"
	"strconv"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// request is one line from a miner: a JSON-RPC 1.0 style object. A line
// with a method is a request; a line without one (an answer to a server
// request) is ignored.
type request struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// parseLine decodes one line (without its newline). It refuses anything
// but one JSON object whose method is a string and whose params, when
// present, are an array.
func parseLine(line []byte) (request, error) {
	var r request
	// Unmarshal refuses anything after the one value.
	if err := json.Unmarshal(line, &r); err != nil {
		return request{}, err
	}
	// An id must be a number, a string or null: echoing an object or an
	// array back is not an id.
	if len(r.ID) > 0 {
		switch r.ID[0] {
		case '{', '[':
			return request{}, errBadID
		}
	}
	return r, nil
}

// idOrNull returns the id to echo: the request's, or null.
func idOrNull(id json.RawMessage) []byte {
	if len(id) == 0 {
		return []byte("null")
	}
	return id
}

// replyLine is the line answering request id with result.
func replyLine(id json.RawMessage, result any) []byte {
	res, err := json.Marshal(result)
	if err != nil {
		return errorLine(id, work.CodeOther, "internal error")
	}
	b := make([]byte, 0, 32+len(id)+len(res))
	b = append(b, `{"id":`...)
	b = append(b, idOrNull(id)...)
	b = append(b, `,"result":`...)
	b = append(b, res...)
	b = append(b, `,"error":null}`+"\n"...)
	return b
}

// trueLine is the line answering request id with true, built without
// reflection (the answer to every accepted share).
func trueLine(id json.RawMessage) []byte {
	b := make([]byte, 0, 40+len(id))
	b = append(b, `{"id":`...)
	b = append(b, idOrNull(id)...)
	b = append(b, `,"result":true,"error":null}`+"\n"...)
	return b
}

// errorLine is the line refusing request id with the error triple [code,
// msg, null].
func errorLine(id json.RawMessage, code work.Code, msg string) []byte {
	m, _ := json.Marshal(msg)
	b := make([]byte, 0, 48+len(id)+len(m))
	b = append(b, `{"id":`...)
	b = append(b, idOrNull(id)...)
	b = append(b, `,"result":null,"error":[`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ',')
	b = append(b, m...)
	b = append(b, `,null]}`+"\n"...)
	return b
}

// notifyLine is a server-to-miner notification (id null).
func notifyLine(method string, params any) []byte {
	p, err := json.Marshal(params)
	if err != nil {
		// Our own params always marshal.
		panic(err)
	}
	b := make([]byte, 0, 40+len(method)+len(p))
	b = append(b, `{"id":null,"method":"`...)
	b = append(b, method...)
	b = append(b, `","params":`...)
	b = append(b, p...)
	b = append(b, "}\n"...)
	return b
}
