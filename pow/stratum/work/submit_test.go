package work_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// Submit lines as real miners send them (a cgminer-style submit, a
// BIP310 ASIC's six-param submit, a cpuminer submit with 8-byte
// extranonce2), and broken ones.
var submitSeeds = []string{
	`["bc1qworker.rig1","1f","00000003","6933bc38","1d3e9f00"]`,
	`["miner.s19","6a1","a1b2c3d4","6933bc3a","00ff12ab","1fffe000"]`,
	`["addr.cpu","4","0000000000000001","6933bc38","deadbeef"]`,
	`["w","j","ABCDEF01","6933BC38","DEADBEEF","00002000"]`,
	`["w","j","00","6933bc38","deadbeef"]`,
	`["w","j","000","6933bc38","deadbeef"]`,
	`["w","j","0000000g","6933bc38","deadbeef"]`,
	`["w","j","00000000","6933bc3","deadbeef"]`,
	`["w","j","00000000","6933bc38","deadbeef0"]`,
	`["w","j","00000000",1765000000,"deadbeef"]`,
	`["w",17,"00000000","6933bc38","deadbeef"]`,
	`[null,"j","00000000","6933bc38","deadbeef"]`,
	`["w","j","00000000","6933bc38"]`,
	`["w","j","00000000","6933bc38","deadbeef","00000000","x"]`,
	`[]`,
	`["w","j","` + strings.Repeat("00", 17) + `","6933bc38","deadbeef"]`,
	`["\u0077","j","00000000","6933bc38","deadbeef"]`,
}

func TestParseSubmit(t *testing.T) {
	type want struct {
		ok         bool
		worker, id string
		en2        string
		ntime      uint32
		nonce      uint32
		vbits      uint32
		hasVersion bool
	}
	wants := []want{
		{true, "bc1qworker.rig1", "1f", "00000003", 0x6933bc38, 0x1d3e9f00, 0, false},
		{true, "miner.s19", "6a1", "a1b2c3d4", 0x6933bc3a, 0x00ff12ab, 0x1fffe000, true},
		{true, "addr.cpu", "4", "0000000000000001", 0x6933bc38, 0xdeadbeef, 0, false},
		{true, "w", "j", "abcdef01", 0x6933bc38, 0xdeadbeef, 0x2000, true},
		{true, "w", "j", "00", 0x6933bc38, 0xdeadbeef, 0, false}, // size is Check's concern
	}
	for i, line := range submitSeeds {
		var params []json.RawMessage
		if err := json.Unmarshal([]byte(line), &params); err != nil {
			t.Fatal(err)
		}
		worker, id, s, err := work.ParseSubmit(params)
		if i < len(wants) {
			w := wants[i]
			if err != nil {
				t.Errorf("%s: %v", line, err)
				continue
			}
			if worker != w.worker || id != w.id || hexs(s.Extranonce2) != w.en2 || s.NTime != w.ntime ||
				s.Nonce != w.nonce || s.VersionBits != w.vbits || s.HasVersion != w.hasVersion ||
				s.Extranonce1 != nil {
				t.Errorf("%s: %q %q %+v", line, worker, id, s)
			}
			continue
		}
		if line == `["\u0077","j","00000000","6933bc38","deadbeef"]` {
			if err != nil || worker != "w" {
				t.Errorf("%s: %q %v", line, worker, err)
			}
			continue
		}
		if work.CodeOf(err) != work.CodeOther || !errors.Is(err, work.ErrMalformed) {
			t.Errorf("%s: %v, want a malformed submit", line, err)
		}
	}
	// Names too long.
	long := `["` + strings.Repeat("a", work.MaxWorkerLen+1) + `","j","00000000","6933bc38","deadbeef"]`
	var params []json.RawMessage
	if err := json.Unmarshal([]byte(long), &params); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := work.ParseSubmit(params); !errors.Is(err, work.ErrMalformed) {
		t.Errorf("long worker: %v", err)
	}
	params[0] = json.RawMessage(`"w"`)
	params[1] = json.RawMessage(`"` + strings.Repeat("1", work.MaxJobIDLen+1) + `"`)
	if _, _, _, err := work.ParseSubmit(params); !errors.Is(err, work.ErrMalformed) {
		t.Errorf("long job id: %v", err)
	}
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// FuzzParseSubmit: any line either decodes to a share within the limits
// that encodes back to the same values, or is a malformed submit; never
// a panic.
func FuzzParseSubmit(f *testing.F) {
	for _, s := range submitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var params []json.RawMessage
		if json.Unmarshal(line, &params) != nil {
			return
		}
		worker, id, s, err := work.ParseSubmit(params)
		if err != nil {
			if work.CodeOf(err) != work.CodeOther || !errors.Is(err, work.ErrMalformed) {
				t.Fatalf("error %v of code %d", err, work.CodeOf(err))
			}
			return
		}
		if len(worker) > work.MaxWorkerLen || len(id) > work.MaxJobIDLen ||
			len(s.Extranonce2) == 0 || len(s.Extranonce2) > work.MaxExtranonce2Size ||
			s.HasVersion != (len(params) == 6) {
			t.Fatalf("%q %q %+v", worker, id, s)
		}
		again := []any{worker, id, hexs(s.Extranonce2), hex32(s.NTime), hex32(s.Nonce)}
		if s.HasVersion {
			again = append(again, hex32(s.VersionBits))
		}
		b, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		var p2 []json.RawMessage
		if err := json.Unmarshal(b, &p2); err != nil {
			t.Fatal(err)
		}
		w2, id2, s2, err := work.ParseSubmit(p2)
		if err != nil || w2 != worker || id2 != id || hexs(s2.Extranonce2) != hexs(s.Extranonce2) ||
			s2.NTime != s.NTime || s2.Nonce != s.Nonce || s2.VersionBits != s.VersionBits ||
			s2.HasVersion != s.HasVersion {
			t.Fatalf("re-encoded %s: %v", b, err)
		}
	})
}

func hex32(v uint32) string {
	return hexs([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// FuzzCheck: Check on any share of a job never panics; a share it accepts
// gives Block a block of the same hash, and a share it refuses carries a
// Stratum code.
func FuzzCheck(f *testing.F) {
	job, _ := mustJob(f, 3, 0x207fffff)
	f.Add([]byte{1, 2, 3, 4}, []byte{5, 6, 7, 8}, job.MinTime, uint32(0), uint32(0), false, uint32(0), 1.0)
	f.Add([]byte{1, 2, 3}, []byte{5, 6, 7, 8, 9}, job.MaxTime+1, uint32(7), uint32(0x2000), true, uint32(0x1fffe000), 1e-9)
	f.Add([]byte{}, []byte{}, uint32(0), uint32(0), uint32(0), true, uint32(0), -1.0)
	f.Fuzz(func(t *testing.T, en1, en2 []byte, ntime, nonce, vbits uint32, hasV bool, mask uint32, diff float64) {
		s := work.Share{Extranonce1: en1, Extranonce2: en2, NTime: ntime, Nonce: nonce,
			VersionBits: vbits, HasVersion: hasV}
		res, err := job.Check(s, mask, work.TargetFromDifficulty(diff))
		if err != nil {
			if c := work.CodeOf(err); c != work.CodeOther && c != work.CodeLowDifficulty {
				t.Fatalf("code %d: %v", c, err)
			}
			return
		}
		blk, err := job.Block(s, mask)
		if err != nil || blk.BlockHash() != res.Hash {
			t.Fatalf("Block: %v", err)
		}
	})
}
