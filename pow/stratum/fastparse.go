package stratum

import "encoding/json"

// parseFast decodes the common shape of a request line without
// reflection: one object whose members are "id" (an integer, a string or
// null), "method" (a string) and "params" (an array of strings, numbers,
// true, false or null), each at most once, strings in printable ASCII
// without escapes. Anything else returns ok false, and the caller falls
// back to encoding/json; FuzzParseFast checks that the two agree
// wherever the fast path answers.
func parseFast(line []byte) (r request, ok bool) {
	p := scanner{b: line}
	p.ws()
	if !p.eat('{') {
		return request{}, false
	}
	var seenID, seenMethod, seenParams bool
	p.ws()
	if p.eat('}') {
		return p.end(r)
	}
	for {
		p.ws()
		key, kok := p.str()
		if !kok {
			return request{}, false
		}
		p.ws()
		if !p.eat(':') {
			return request{}, false
		}
		p.ws()
		switch string(key) {
		case "id":
			if seenID {
				return request{}, false
			}
			seenID = true
			v, vok := p.scalar(false)
			if !vok {
				return request{}, false
			}
			r.ID = append(json.RawMessage(nil), v...)
		case "method":
			if seenMethod {
				return request{}, false
			}
			seenMethod = true
			s, sok := p.str()
			if !sok {
				return request{}, false
			}
			r.Method = string(s)
		case "params":
			if seenParams || !p.eat('[') {
				return request{}, false
			}
			seenParams = true
			r.Params = make([]json.RawMessage, 0, 6)
			p.ws()
			if !p.eat(']') {
				for {
					p.ws()
					v, vok := p.scalar(true)
					if !vok {
						return request{}, false
					}
					r.Params = append(r.Params, v)
					p.ws()
					if p.eat(']') {
						break
					}
					if !p.eat(',') {
						return request{}, false
					}
				}
			}
		default:
			return request{}, false
		}
		p.ws()
		if p.eat('}') {
			return p.end(r)
		}
		if !p.eat(',') {
			return request{}, false
		}
	}
}

// scanner walks a line.
type scanner struct {
	b []byte
	i int
}

func (p *scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end accepts r if only white space is left.
func (p *scanner) end(r request) (request, bool) {
	p.ws()
	if p.i != len(p.b) {
		return request{}, false
	}
	return r, true
}

// str scans a string of printable ASCII without escapes and returns its
// contents.
func (p *scanner) str() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// scalar scans a string, null, or a number (any JSON number when
// anyNumber, else an integer), or true or false when anyNumber, and
// returns its bytes.
func (p *scanner) scalar(anyNumber bool) ([]byte, bool) {
	start := p.i
	if p.i >= len(p.b) {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		if _, ok := p.str(); !ok {
			return nil, false
		}
	case c == 'n':
		if !p.word("null") {
			return nil, false
		}
	case anyNumber && c == 't':
		if !p.word("true") {
			return nil, false
		}
	case anyNumber && c == 'f':
		if !p.word("false") {
			return nil, false
		}
	case c == '-' || c >= '0' && c <= '9':
		if !p.number(anyNumber) {
			return nil, false
		}
	default:
		return nil, false
	}
	return p.b[start:p.i], true
}

func (p *scanner) word(w string) bool {
	if len(p.b)-p.i < len(w) || string(p.b[p.i:p.i+len(w)]) != w {
		return false
	}
	p.i += len(w)
	return true
}

// number scans -?(0|[1-9][0-9]*), then, when frac, (.[0-9]+)? and
// ([eE][+-]?[0-9]+)?.
func (p *scanner) number(frac bool) bool {
	p.eat('-')
	if p.eat('0') {
		// no more digits after a leading zero
	} else if !p.digits() {
		return false
	}
	if !frac {
		return !p.peekNumberChar()
	}
	if p.eat('.') && !p.digits() {
		return false
	}
	if p.eat('e') || p.eat('E') {
		if !p.eat('+') {
			p.eat('-')
		}
		if !p.digits() {
			return false
		}
	}
	return !p.peekNumberChar()
}

// peekNumberChar says whether a number continues where it should end.
func (p *scanner) peekNumberChar() bool {
	if p.i >= len(p.b) {
		return false
	}
	c := p.b[p.i]
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

func (p *scanner) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
