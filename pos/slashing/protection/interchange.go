package protection

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mainstake/sidenode/store"
)

// InterchangeVersion is the EIP-3076 interchange format version the
// package reads and writes.
const InterchangeVersion = "5"

// Form chooses what Export writes.
type Form int

const (
	// Complete lists every block and attestation record held.
	Complete Form = iota

	// Minimal lists, per key, one block at the highest slot signed and
	// one attestation with the highest source and target epochs signed:
	// enough for another client to refuse everything this one would.
	Minimal
)

// The JSON of an interchange file. Numbers are decimal strings; absent
// fields and nulls are told apart from zero by the pointers.
type interchange struct {
	Metadata *metadata  `json:"metadata"`
	Data     []*keyData `json:"data"`
}

type metadata struct {
	Version *string `json:"interchange_format_version"`
	GVR     *string `json:"genesis_validators_root"`
}

type keyData struct {
	Pubkey       *string         `json:"pubkey"`
	Blocks       []*blockJSON    `json:"signed_blocks"`
	Attestations []*attesterJSON `json:"signed_attestations"`
}

type blockJSON struct {
	Slot        *quoted `json:"slot"`
	SigningRoot *string `json:"signing_root,omitempty"`
}

type attesterJSON struct {
	Source      *quoted `json:"source_epoch"`
	Target      *quoted `json:"target_epoch"`
	SigningRoot *string `json:"signing_root,omitempty"`
}

// quoted is a uint64 written as a JSON string of decimal digits.
type quoted uint64

func (q *quoted) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("number %s is not a quoted decimal string", b)
	}
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return fmt.Errorf("%q is not a decimal number", s)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a 64-bit unsigned number", s)
	}
	*q = quoted(v)
	return nil
}

func (q quoted) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatUint(uint64(q), 10))
}

func parseHex(what, s string, n int) ([]byte, error) {
	if !strings.HasPrefix(s, "0x") {
		return nil, ruleErrorf(ErrBadInterchange, "%s %q does not start "+
			"with 0x", what, s)
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil || len(b) != n {
		return nil, ruleErrorf(ErrBadInterchange, "%s %q is not %d bytes "+
			"of hex", what, s, n)
	}
	return b, nil
}

func hexString(b []byte) string { return "0x" + hex.EncodeToString(b) }

// imported is one key's records from a file.
type imported struct {
	pk     PublicKey
	blocks []importedBlock
	atts   []importedAtt
}

type importedBlock struct {
	slot uint64
	root signingRoot
}

type importedAtt struct {
	source, target uint64
	root           signingRoot
}

// parseInterchange checks a whole file before anything is written.
func parseInterchange(data []byte, gvr Root) ([]imported, error) {
	var ic interchange
	if err := json.Unmarshal(data, &ic); err != nil {
		return nil, ruleErrorf(ErrBadInterchange, "interchange file is "+
			"not valid: %v", err)
	}
	if ic.Metadata == nil || ic.Metadata.Version == nil || ic.Metadata.GVR == nil {
		return nil, ruleErrorf(ErrBadInterchange, "interchange file has "+
			"no metadata with interchange_format_version and "+
			"genesis_validators_root")
	}
	if *ic.Metadata.Version != InterchangeVersion {
		return nil, ruleErrorf(ErrBadInterchange, "interchange format "+
			"version %q; only %q is supported", *ic.Metadata.Version,
			InterchangeVersion)
	}
	g, err := parseHex("genesis_validators_root", *ic.Metadata.GVR, 32)
	if err != nil {
		return nil, err
	}
	if Root(g) != gvr {
		return nil, ruleErrorf(ErrWrongGenesis, "interchange file is for "+
			"genesis validators root %x, this database for %x", g, gvr[:])
	}
	out := make([]imported, 0, len(ic.Data))
	for i, kd := range ic.Data {
		if kd == nil || kd.Pubkey == nil {
			return nil, ruleErrorf(ErrBadInterchange, "data entry %d has "+
				"no pubkey", i)
		}
		pk, err := parseHex("pubkey", *kd.Pubkey, 48)
		if err != nil {
			return nil, err
		}
		im := imported{pk: PublicKey(pk)}
		for j, b := range kd.Blocks {
			if b == nil || b.Slot == nil {
				return nil, ruleErrorf(ErrBadInterchange, "block %d of "+
					"key %s has no slot", j, *kd.Pubkey)
			}
			r, err := optionalRoot(b.SigningRoot)
			if err != nil {
				return nil, err
			}
			im.blocks = append(im.blocks, importedBlock{slot: uint64(*b.Slot), root: r})
		}
		for j, a := range kd.Attestations {
			if a == nil || a.Source == nil || a.Target == nil {
				return nil, ruleErrorf(ErrBadInterchange, "attestation "+
					"%d of key %s lacks source_epoch or target_epoch",
					j, *kd.Pubkey)
			}
			r, err := optionalRoot(a.SigningRoot)
			if err != nil {
				return nil, err
			}
			im.atts = append(im.atts, importedAtt{source: uint64(*a.Source),
				target: uint64(*a.Target), root: r})
		}
		out = append(out, im)
	}
	return out, nil
}

func optionalRoot(s *string) (signingRoot, error) {
	if s == nil {
		return signingRoot{}, nil
	}
	b, err := parseHex("signing_root", *s, 32)
	if err != nil {
		return signingRoot{}, err
	}
	return known(Root(b)), nil
}

// Import merges an EIP-3076 interchange file (version 5, minimal or
// complete) into the database. The whole file is checked first (format,
// version, genesis validators root); nothing is written if any of it is
// refused. Then each key's records are merged in one store transaction
// per key: the watermarks rise to the highest slot, source and target in
// the file, and records are added where the database holds none at that
// slot or target (a held record is kept). Slashable data in the file is
// imported too: the watermarks still refuse everything it would allow.
// Merging only ever raises watermarks and adds records, so a crash in the
// middle leaves a database that protects at least as much as before.
func (d *DB) Import(data []byte) error {
	ims, err := parseInterchange(data, d.gvr)
	if err != nil {
		return err
	}
	for _, im := range ims {
		err := d.st.UpdateLocal(func(w *store.PlainWriter) error {
			s, err := readSummary(w, im.pk)
			if err != nil {
				return err
			}
			for _, b := range im.blocks {
				s.addBlock(b.slot)
				if err := setIfAbsent(w, blockKey(im.pk, b.slot), encodeBlock(b.root)); err != nil {
					return err
				}
			}
			for _, a := range im.atts {
				s.addAttestation(a.source, a.target)
				if err := setIfAbsent(w, attKey(im.pk, a.target), encodeAtt(a.source, a.root)); err != nil {
					return err
				}
			}
			if !s.hasBlock && !s.hasAtt {
				return nil
			}
			return w.Set(summaryKey(im.pk), s.encode())
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func setIfAbsent(w *store.PlainWriter, k, v []byte) error {
	_, err := w.Get(k)
	switch {
	case err == nil:
		return nil
	case !isNotFound(err):
		return err
	}
	return w.Set(k, v)
}

// Export writes the database as an EIP-3076 interchange file (version 5)
// in the form asked for, keys in ascending byte order, blocks by slot and
// attestations by target epoch. The complete form adds, for a key whose
// attestation watermarks no single record carries (after merging minimal
// files), one attestation with the highest source and target, so that an
// import of the export protects as much as this database.
func (d *DB) Export(form Form) ([]byte, error) {
	gvr := hexString(d.gvr[:])
	version := InterchangeVersion
	ic := interchange{Metadata: &metadata{Version: &version, GVR: &gvr}, Data: []*keyData{}}
	err := d.st.View(func(r store.Reader) error {
		return r.Iterate(key('k'), func(k, v []byte) error {
			pk := PublicKey(k[len(k)-48:])
			s, err := decodeSummary(v)
			if err != nil {
				return err
			}
			kd, err := exportKey(r, pk, &s, form)
			if err != nil {
				return err
			}
			ic.Data = append(ic.Data, kd)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(&ic, "", "  ")
}

func exportKey(r store.Reader, pk PublicKey, s *summary, form Form) (*keyData, error) {
	pkHex := hexString(pk[:])
	kd := &keyData{Pubkey: &pkHex, Blocks: []*blockJSON{}, Attestations: []*attesterJSON{}}
	if form == Minimal {
		if s.hasBlock {
			slot := quoted(s.maxSlot)
			kd.Blocks = append(kd.Blocks, &blockJSON{Slot: &slot})
		}
		if s.hasAtt {
			src, tgt := quoted(s.maxSource), quoted(s.maxTarget)
			kd.Attestations = append(kd.Attestations, &attesterJSON{Source: &src, Target: &tgt})
		}
		return kd, nil
	}
	err := r.Iterate(key('b', pk[:]), func(k, v []byte) error {
		root, err := decodeBlock(v)
		if err != nil {
			return err
		}
		slot := quoted(binary.BigEndian.Uint64(k[len(k)-8:]))
		kd.Blocks = append(kd.Blocks, &blockJSON{Slot: &slot, SigningRoot: rootString(root)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	carried := false
	err = r.Iterate(key('a', pk[:]), func(k, v []byte) error {
		src, root, err := decodeAtt(v)
		if err != nil {
			return err
		}
		t := binary.BigEndian.Uint64(k[len(k)-8:])
		if src == s.maxSource && t == s.maxTarget {
			carried = true
		}
		s, tq := quoted(src), quoted(t)
		kd.Attestations = append(kd.Attestations, &attesterJSON{Source: &s, Target: &tq, SigningRoot: rootString(root)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.hasAtt && !carried {
		src, tgt := quoted(s.maxSource), quoted(s.maxTarget)
		kd.Attestations = append(kd.Attestations, &attesterJSON{Source: &src, Target: &tgt})
		slices.SortStableFunc(kd.Attestations, func(a, b *attesterJSON) int {
			return cmpQuoted(*a.Target, *b.Target)
		})
	}
	return kd, nil
}

func cmpQuoted(a, b quoted) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func rootString(r signingRoot) *string {
	if !r.known {
		return nil
	}
	s := hexString(r.root[:])
	return &s
}
