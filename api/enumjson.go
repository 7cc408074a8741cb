package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The JSON that people read (sidecli's output, the REST gateway's
// responses) spells an enum value as the lower-case word the README uses:
// "paid", "banned", "body_staged", not WITHDRAWAL_STAGE_PAID. The word is
// the value's name without the enum's prefix (the enum's name in upper
// snake case and "_"), in lower case. The gRPC wire carries the numbers,
// as before; protojson, which knows only the full names, is used to
// encode, and EnumWords rewrites the enum values of its output.

// jsonOptions are the options of every JSON the API prints: the proto
// field names, and every field, zero or not.
var jsonOptions = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// MarshalJSON encodes m as protojson does with the proto field names and
// every field, zero or not, then spells its enum values as words
// (EnumWords). sidecli prints every response with it.
func MarshalJSON(m proto.Message) ([]byte, error) {
	b, err := jsonOptions.Marshal(m)
	if err != nil {
		return nil, err
	}
	return EnumWords(m.ProtoReflect().Descriptor(), b)
}

// EnumWord is the word an enum value prints as: its name without the
// enum's prefix, in lower case (WITHDRAWAL_STAGE_PAID of WithdrawalStage
// is "paid"). A name without the prefix is only put in lower case.
func EnumWord(v protoreflect.EnumValueDescriptor) string {
	name := string(v.Name())
	prefix := enumPrefix(v.Parent().(protoreflect.EnumDescriptor))
	if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" {
		name = rest
	}
	return strings.ToLower(name)
}

// enumPrefix is the prefix of an enum's value names: its name in upper
// snake case, then "_" (WithdrawalStage: "WITHDRAWAL_STAGE_").
func enumPrefix(e protoreflect.EnumDescriptor) string {
	var b strings.Builder
	for i, r := range string(e.Name()) {
		if r >= 'A' && r <= 'Z' && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String()) + "_"
}

// EnumWords rewrites data, the protojson encoding of a message of type md
// with the proto field names, so that every enum value is its word
// (EnumWord). The layout is compact; the order of the fields is kept.
// Values that are not a known enum value's name (a number, which protojson
// writes for a value the descriptor does not know) are kept as they are.
func EnumWords(md protoreflect.MessageDescriptor, data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	w := enumWriter{dec: dec, out: &out}
	if err := w.message(md); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("enum words: data after the message")
	}
	return out.Bytes(), nil
}

// enumWriter copies the JSON tokens of dec to out, rewriting enum values.
type enumWriter struct {
	dec *json.Decoder
	out *bytes.Buffer
}

// message copies one JSON object, a message of type md (nil: any object,
// copied as it is).
func (w *enumWriter) message(md protoreflect.MessageDescriptor) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	return w.messageFrom(tok, md)
}

func (w *enumWriter) messageFrom(tok json.Token, md protoreflect.MessageDescriptor) error {
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		// A well-known type may encode as a scalar (a Timestamp as a
		// string): copy it.
		return w.scalar(tok, nil)
	}
	w.out.WriteByte('{')
	for i := 0; w.dec.More(); i++ {
		key, err := w.dec.Token()
		if err != nil {
			return err
		}
		k, _ := key.(string)
		if i > 0 {
			w.out.WriteByte(',')
		}
		writeJSON(w.out, k)
		w.out.WriteByte(':')
		var fd protoreflect.FieldDescriptor
		if md != nil {
			if fd = md.Fields().ByName(protoreflect.Name(k)); fd == nil {
				fd = md.Fields().ByJSONName(k)
			}
		}
		if err := w.field(fd); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil { // '}'
		return err
	}
	w.out.WriteByte('}')
	return nil
}

// field copies the value of field fd (nil: a value copied as it is).
func (w *enumWriter) field(fd protoreflect.FieldDescriptor) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	d, isDelim := tok.(json.Delim)
	switch {
	case isDelim && d == '[' && fd != nil && fd.IsList():
		w.out.WriteByte('[')
		for i := 0; w.dec.More(); i++ {
			if i > 0 {
				w.out.WriteByte(',')
			}
			t, err := w.dec.Token()
			if err != nil {
				return err
			}
			if err := w.single(t, fd); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return err
		}
		w.out.WriteByte(']')
		return nil
	case isDelim && d == '{' && fd != nil && fd.IsMap():
		w.out.WriteByte('{')
		for i := 0; w.dec.More(); i++ {
			key, err := w.dec.Token()
			if err != nil {
				return err
			}
			if i > 0 {
				w.out.WriteByte(',')
			}
			k, _ := key.(string)
			writeJSON(w.out, k)
			w.out.WriteByte(':')
			t, err := w.dec.Token()
			if err != nil {
				return err
			}
			if err := w.single(t, fd.MapValue()); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return err
		}
		w.out.WriteByte('}')
		return nil
	}
	return w.single(tok, fd)
}

// single copies one value of field fd (not a list or map as a whole),
// whose first token is tok.
func (w *enumWriter) single(tok json.Token, fd protoreflect.FieldDescriptor) error {
	if d, ok := tok.(json.Delim); ok {
		var md protoreflect.MessageDescriptor
		if fd != nil {
			md = fd.Message()
		}
		if d == '{' {
			return w.messageFrom(tok, md)
		}
		// An array that is no list field (a well-known type's): copy.
		return w.anyFrom(tok)
	}
	return w.scalar(tok, fd)
}

// scalar copies one scalar, spelling the name of an enum value of field
// fd as its word.
func (w *enumWriter) scalar(tok json.Token, fd protoreflect.FieldDescriptor) error {
	if s, ok := tok.(string); ok && fd != nil && fd.Enum() != nil {
		if v := fd.Enum().Values().ByName(protoreflect.Name(s)); v != nil {
			writeJSON(w.out, EnumWord(v))
			return nil
		}
	}
	if d, ok := tok.(json.Delim); ok {
		return w.anyFrom(d)
	}
	writeJSON(w.out, tok)
	return nil
}

// anyFrom copies a value whose first token is tok, as it is.
func (w *enumWriter) anyFrom(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok {
		writeJSON(w.out, tok)
		return nil
	}
	switch d {
	case '{':
		return w.messageFrom(tok, nil)
	case '[':
		w.out.WriteByte('[')
		for i := 0; w.dec.More(); i++ {
			if i > 0 {
				w.out.WriteByte(',')
			}
			t, err := w.dec.Token()
			if err != nil {
				return err
			}
			if err := w.anyFrom(t); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return err
		}
		w.out.WriteByte(']')
		return nil
	}
	return fmt.Errorf("enum words: unexpected %v", d)
}

// writeJSON writes v (a string, json.Number, bool or nil) as JSON.
func writeJSON(out *bytes.Buffer, v any) {
	if n, ok := v.(json.Number); ok {
		out.WriteString(n.String())
		return
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	// Encode ends with a newline; drop it.
	out.Truncate(out.Len() - 1)
}
