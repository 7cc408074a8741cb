package protection

import (
	"encoding/binary"
	"errors"

	"github.com/mainstake/sidenode/store"
)

// PublicKey is a validator's compressed BLS public key.
type PublicKey [48]byte

// Root is a 32-byte root: a signing root or the genesis validators root.
type Root [32]byte

// KeyPrefix is the store key prefix of everything the package writes. It
// lies in the wallet's keyspace (wallet.KeyByte 0x20, then 'v', which the
// wallet does not use; a test checks both), which the node already keeps
// out of the state hash as local state: the records are the validator
// client's own, not chain state.
var KeyPrefix = []byte{0x20, 'v'}

// Store keys, each after KeyPrefix:
//
//	'g'                          → genesis validators root (32)
//	'k' ‖ pubkey                 → watermarks (summarySize bytes)
//	'b' ‖ pubkey ‖ slot (8, BE)  → block record: known (1) ‖ signing root (32)
//	'a' ‖ pubkey ‖ target (8, BE)→ attestation record: source (8, BE) ‖ known (1) ‖ signing root (32)
func key(kind byte, parts ...[]byte) []byte {
	k := append(append([]byte(nil), KeyPrefix...), kind)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func genesisKey() []byte                        { return key('g') }
func summaryKey(pk PublicKey) []byte            { return key('k', pk[:]) }
func blockKey(pk PublicKey, slot uint64) []byte { return key('b', pk[:], be(slot)) }
func attKey(pk PublicKey, target uint64) []byte { return key('a', pk[:], be(target)) }

// summary holds a key's watermarks: the highest slot it signed a block
// at, and the highest source and target epochs of its attestations.
type summary struct {
	hasBlock  bool
	maxSlot   uint64
	hasAtt    bool
	maxSource uint64
	maxTarget uint64
}

const summarySize = 1 + 8 + 1 + 8 + 8

func (s *summary) encode() []byte {
	b := make([]byte, 0, summarySize)
	b = append(b, boolByte(s.hasBlock))
	b = binary.BigEndian.AppendUint64(b, s.maxSlot)
	b = append(b, boolByte(s.hasAtt))
	b = binary.BigEndian.AppendUint64(b, s.maxSource)
	return binary.BigEndian.AppendUint64(b, s.maxTarget)
}

func decodeSummary(b []byte) (summary, error) {
	if len(b) != summarySize || b[0] > 1 || b[9] > 1 {
		return summary{}, ruleErrorf(ErrCorruptRecord, "watermark record "+
			"of %d bytes", len(b))
	}
	return summary{
		hasBlock:  b[0] == 1,
		maxSlot:   binary.BigEndian.Uint64(b[1:]),
		hasAtt:    b[9] == 1,
		maxSource: binary.BigEndian.Uint64(b[10:]),
		maxTarget: binary.BigEndian.Uint64(b[18:]),
	}, nil
}

func (s *summary) addBlock(slot uint64) {
	if !s.hasBlock || slot > s.maxSlot {
		s.maxSlot = slot
	}
	s.hasBlock = true
}

func (s *summary) addAttestation(source, target uint64) {
	if !s.hasAtt {
		s.maxSource, s.maxTarget, s.hasAtt = source, target, true
		return
	}
	s.maxSource = max(s.maxSource, source)
	s.maxTarget = max(s.maxTarget, target)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// signingRoot is a record's signing root, which interchange files may
// leave out: then it is not known, and equal to nothing.
type signingRoot struct {
	known bool
	root  Root
}

func (r signingRoot) same(o signingRoot) bool {
	return r.known && o.known && r.root == o.root
}

func known(r Root) signingRoot {
	// The zero root stands for "not known", as in interchange files and
	// their tests.
	return signingRoot{known: r != Root{}, root: r}
}

func encodeBlock(r signingRoot) []byte {
	return append([]byte{boolByte(r.known)}, r.root[:]...)
}

func decodeBlock(b []byte) (signingRoot, error) {
	if len(b) != 33 || b[0] > 1 {
		return signingRoot{}, ruleErrorf(ErrCorruptRecord, "block record "+
			"of %d bytes", len(b))
	}
	return signingRoot{known: b[0] == 1, root: Root(b[1:])}, nil
}

func encodeAtt(source uint64, r signingRoot) []byte {
	b := binary.BigEndian.AppendUint64(nil, source)
	b = append(b, boolByte(r.known))
	return append(b, r.root[:]...)
}

func decodeAtt(b []byte) (uint64, signingRoot, error) {
	if len(b) != 41 || b[8] > 1 {
		return 0, signingRoot{}, ruleErrorf(ErrCorruptRecord, "attestation "+
			"record of %d bytes", len(b))
	}
	return binary.BigEndian.Uint64(b), signingRoot{known: b[8] == 1, root: Root(b[9:])}, nil
}

// DB is the validator client's slashing protection database, kept in the
// node's store under KeyPrefix. It is safe for concurrent use: each
// signing is checked and recorded in one store transaction, and the
// store serializes them.
type DB struct {
	st  *store.DB
	gvr Root
}

// Open returns the protection database in st for the network whose
// genesis validators root is gvr. The first Open records gvr; a later one
// with another root is refused with ErrWrongGenesis, so that records of
// one network never protect (or block) keys on another.
func Open(st *store.DB, gvr Root) (*DB, error) {
	err := st.UpdateLocal(func(w *store.PlainWriter) error {
		b, err := w.Get(genesisKey())
		switch {
		case isNotFound(err):
			return w.Set(genesisKey(), gvr[:])
		case err != nil:
			return err
		case len(b) != 32:
			return ruleErrorf(ErrCorruptRecord, "genesis validators root "+
				"record of %d bytes", len(b))
		case Root(b) != gvr:
			return ruleErrorf(ErrWrongGenesis, "the slashing protection "+
				"records are for genesis validators root %x, not %x",
				b, gvr[:])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DB{st: st, gvr: gvr}, nil
}

func isNotFound(err error) bool {
	return errors.Is(err, store.ErrNotFound)
}

// GenesisValidatorsRoot returns the root the database is for.
func (d *DB) GenesisValidatorsRoot() Root { return d.gvr }

func readSummary(r store.Reader, pk PublicKey) (summary, error) {
	b, err := r.Get(summaryKey(pk))
	if isNotFound(err) {
		return summary{}, nil
	}
	if err != nil {
		return summary{}, err
	}
	return decodeSummary(b)
}

// SignBlock records that pk signs a block at slot with signingRoot, or
// refuses: a block at or below the highest slot pk signed is refused,
// with ErrAlreadySigned if pk signed this very root at this slot,
// ErrDoubleProposal if it signed another (or an unknown) root at this
// slot, and ErrBelowWatermark otherwise. A zero signingRoot counts as not
// known. The caller signs only after SignBlock returned nil.
func (d *DB) SignBlock(pk PublicKey, slot uint64, signingRoot Root) error {
	root := known(signingRoot)
	return d.st.UpdateLocal(func(w *store.PlainWriter) error {
		s, err := readSummary(w, pk)
		if err != nil {
			return err
		}
		if s.hasBlock && slot <= s.maxSlot {
			b, err := w.Get(blockKey(pk, slot))
			switch {
			case isNotFound(err):
				return ruleErrorf(ErrBelowWatermark, "block at slot %d: "+
					"key %x signed a block at slot %d already", slot,
					pk[:6], s.maxSlot)
			case err != nil:
				return err
			}
			prev, err := decodeBlock(b)
			if err != nil {
				return err
			}
			if prev.same(root) {
				return ruleErrorf(ErrAlreadySigned, "key %x signed this "+
					"block at slot %d already", pk[:6], slot)
			}
			return ruleErrorf(ErrDoubleProposal, "key %x signed another "+
				"block at slot %d", pk[:6], slot)
		}
		s.addBlock(slot)
		if err := w.Set(blockKey(pk, slot), encodeBlock(root)); err != nil {
			return err
		}
		return w.Set(summaryKey(pk), s.encode())
	})
}

// SignAttestation records that pk signs an attestation with the source and
// target epochs and signingRoot, or refuses: the source must not be after
// the target (ErrSourceAfterTarget), the target must be above the highest
// target pk signed and the source not below the highest source (the
// minimal strategy of EIP-3076, which excludes every double and surround
// vote). A refusal names the record it conflicts with when there is one:
// ErrAlreadySigned (this root at this target), ErrDoubleVote (another or
// unknown root at this target), ErrSurroundVote (it surrounds or is
// surrounded by a signed attestation); otherwise ErrBelowWatermark. A
// zero signingRoot counts as not known.
func (d *DB) SignAttestation(pk PublicKey, source, target uint64, signingRoot Root) error {
	if source > target {
		return ruleErrorf(ErrSourceAfterTarget, "attestation source epoch "+
			"%d is after its target epoch %d", source, target)
	}
	root := known(signingRoot)
	return d.st.UpdateLocal(func(w *store.PlainWriter) error {
		s, err := readSummary(w, pk)
		if err != nil {
			return err
		}
		if s.hasAtt && (target <= s.maxTarget || source < s.maxSource) {
			return classifyVote(w, pk, source, target, root, &s)
		}
		s.addAttestation(source, target)
		if err := w.Set(attKey(pk, target), encodeAtt(source, root)); err != nil {
			return err
		}
		return w.Set(summaryKey(pk), s.encode())
	})
}

// classifyVote finds why an attestation below the watermarks is refused:
// a record at its target, or one it surrounds or that surrounds it. It
// runs only on refusal, so the scan of the key's records costs nothing on
// the signing path.
func classifyVote(r store.Reader, pk PublicKey, source, target uint64, root signingRoot, s *summary) error {
	b, err := r.Get(attKey(pk, target))
	switch {
	case err == nil:
		_, prev, err := decodeAtt(b)
		if err != nil {
			return err
		}
		if prev.same(root) {
			return ruleErrorf(ErrAlreadySigned, "key %x signed this "+
				"attestation for target epoch %d already", pk[:6], target)
		}
		return ruleErrorf(ErrDoubleVote, "key %x signed another "+
			"attestation for target epoch %d", pk[:6], target)
	case !isNotFound(err):
		return err
	}
	var conflict error
	err = r.Iterate(key('a', pk[:]), func(k, v []byte) error {
		t := binary.BigEndian.Uint64(k[len(k)-8:])
		src, _, err := decodeAtt(v)
		if err != nil {
			return err
		}
		if (source < src && t < target) || (src < source && target < t) {
			conflict = ruleErrorf(ErrSurroundVote, "attestation (source "+
				"%d, target %d) and the signed (source %d, target %d) "+
				"of key %x surround one another", source, target, src, t,
				pk[:6])
			return store.ErrStopIteration
		}
		return nil
	})
	if err != nil {
		return err
	}
	if conflict != nil {
		return conflict
	}
	return ruleErrorf(ErrBelowWatermark, "attestation (source %d, target "+
		"%d): key %x signed up to source %d and target %d already",
		source, target, pk[:6], s.maxSource, s.maxTarget)
}
