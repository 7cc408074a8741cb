package asert

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
)

// bchParams are Bitcoin Cash mainnet's aserti3-2d constants, which the
// published vectors use.
func bchParams() *Params {
	return &Params{
		HalfLife:       172800,
		IdealBlockTime: 600,
		PowLimit:       blockchain.CompactToBig(0x1d00ffff),
	}
}

// vectorRun is one file of the aserti3-2d test vectors.
type vectorRun struct {
	name       string
	anchor     Anchor
	start      uint64
	startTime  int64
	iterations int
	rows       []vectorRow
}

// vectorRow is one line: the evaluation block and the bits of its child.
type vectorRow struct {
	iteration int
	height    uint64
	time      int64
	bits      uint32
}

// readRun parses a vector file. The header lines are "##   key: value";
// older files say "anchor ancestor time", newer "anchor parent time".
func readRun(t *testing.T, path string) vectorRun {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := vectorRun{name: filepath.Base(path)}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "# "):
		case strings.HasPrefix(line, "##"):
			key, val, ok := strings.Cut(strings.TrimSpace(line[2:]), ":")
			if !ok {
				t.Fatalf("%s: header %q", path, line)
			}
			val = strings.TrimSpace(val)
			switch key {
			case "description":
			case "anchor height":
				r.anchor.Height = mustUint(t, val)
			case "anchor ancestor time", "anchor parent time":
				r.anchor.ParentTime = int64(mustUint(t, val))
			case "anchor nBits":
				r.anchor.Bits = mustBits(t, val)
			case "start height":
				r.start = mustUint(t, val)
			case "start time":
				r.startTime = int64(mustUint(t, val))
			case "iterations":
				r.iterations = int(mustUint(t, val))
			default:
				t.Fatalf("%s: unknown header %q", path, key)
			}
		default:
			fields := strings.Fields(line)
			if len(fields) != 4 {
				t.Fatalf("%s: line %q", path, line)
			}
			tm, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				t.Fatalf("%s: time in %q: %v", path, line, err)
			}
			r.rows = append(r.rows, vectorRow{
				iteration: int(mustUint(t, fields[0])),
				height:    mustUint(t, fields[1]),
				time:      tm,
				bits:      mustBits(t, fields[3]),
			})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(r.rows) != r.iterations || r.iterations == 0 {
		t.Fatalf("%s: %d rows, header says %d", path, len(r.rows), r.iterations)
	}
	return r
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return v
}

func mustBits(t *testing.T, s string) uint32 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 32)
	if err != nil {
		t.Fatalf("bits %q: %v", s, err)
	}
	return uint32(v)
}

// readRuns reads all twelve published runs.
func readRuns(t *testing.T) []vectorRun {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "aserti3-2d", "run*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 12 {
		t.Fatalf("%d vector files, want run01..run12", len(paths))
	}
	runs := make([]vectorRun, len(paths))
	for i, p := range paths {
		runs[i] = readRun(t, p)
	}
	return runs
}

// TestVectors runs every published aserti3-2d vector (BCHN qa-assets
// test_vectors/aserti3-2d, run01..run12; see testdata/aserti3-2d/README) and
// checks NextTarget and CheckBits against each row.
func TestVectors(t *testing.T) {
	p := bchParams()
	rows := 0
	for _, r := range readRuns(t) {
		if err := CheckParams(r.anchor, p); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		for _, row := range r.rows {
			got, err := NextTarget(r.anchor, p, row.height, row.time)
			if err != nil {
				t.Fatalf("%s iteration %d: %v", r.name, row.iteration, err)
			}
			if got != row.bits {
				t.Fatalf("%s iteration %d (height %d, time %d): bits %08x, want %08x",
					r.name, row.iteration, row.height, row.time, got, row.bits)
			}
			if err := CheckBits(r.anchor, p, row.height, row.time, row.bits); err != nil {
				t.Fatalf("%s iteration %d: CheckBits: %v", r.name, row.iteration, err)
			}
			rows++
		}
	}
	if rows != 10+10+10+225+225+1000+1000+500+10+10+1000+10000 {
		t.Errorf("%d rows checked", rows)
	}
}

// TestVectorSchedules regenerates the heights and times of the runs whose
// steps are deterministic from the run table of BCHN's generator
// (contrib/testgen/gen_asert_test_vectors.cpp) and compares them with the
// files, so that the files are the published runs and not edited copies.
// The random runs (6, 7, 8, 11) draw from a C++ RNG and are checked by
// TestVectors alone.
func TestVectorSchedules(t *testing.T) {
	type step struct {
		heightStep uint64
		timeStep   int64
	}
	const halfLife = 172800
	steps := map[string]step{
		"run01": {1, 600},
		"run02": {1, 600},
		"run03": {1, 600},
		"run04": {1, 600 + halfLife},
		"run05": {288, 0},
		"run09": {1, 300},
		"run10": {1, 900},
		"run12": {1, -1},
	}
	for _, r := range readRuns(t) {
		s, ok := steps[r.name]
		if !ok {
			continue
		}
		delete(steps, r.name)
		h, tm := r.start, r.startTime
		for i, row := range r.rows {
			if row.iteration != i+1 || row.height != h || row.time != tm {
				t.Fatalf("%s row %d: iteration %d height %d time %d, want %d %d %d",
					r.name, i, row.iteration, row.height, row.time, i+1, h, tm)
			}
			h += s.heightStep
			tm += s.timeStep
		}
	}
	if len(steps) != 0 {
		t.Errorf("runs not found: %v", steps)
	}
}

// TestHandComputed checks cases worked out by hand (with arbitrary-precision
// integers, outside this package) on the anchor of run02: bits 0x1a2b3c4d,
// height 1, parent time 0, BCH constants.
//
//   - time 87600 at height 2 is half a half-life behind: exponent
//     (87600 − 1200)·65536/172800 = 32768, factor 65536 +
//     (195766423245049·32768 + 971821376·32768² + 5127·32768³ + 2^47)>>48
//     = 92674 (√2 ≈ 1.41409), target 0x2b3c4d·2^184·92674/65536.
//   - time −85200 is half a half-life ahead: exponent −32768 = −1·65536 +
//     32768, the same factor, one shift right.
//   - time 1201: 65536/172800 truncates to 0, the anchor's bits.
//   - time 0: −1200·65536/172800 = −455.1 truncates toward zero to −455
//     (flooring would give −456): shifts −1, frac 65081, factor 130445.
//   - time −1000000 at height 6: exponent −380624 = −6·65536 + 12592,
//     factor 74878.
func TestHandComputed(t *testing.T) {
	a := Anchor{Height: 1, ParentTime: 0, Bits: 0x1a2b3c4d}
	cases := []struct {
		height uint64
		time   int64
		shifts int64
		frac   uint64
		factor uint64
		bits   uint32
	}{
		{2, 87600, 0, 32768, 92674, 0x1a3d239b},
		{2, -85200, -1, 32768, 92674, 0x1a1e91cd},
		{2, 1201, 0, 0, 65536, 0x1a2b3c4d},
		{2, 0, -1, 65081, 130445, 0x1a2b075a},
		{6, -1000000, -6, 12592, 74878, 0x1a00c598},
	}
	p := bchParams()
	for _, c := range cases {
		s, f := exponent(a, p, c.height, c.time)
		if s != c.shifts || f != c.frac || factor(f) != c.factor {
			t.Errorf("height %d time %d: exponent %d·65536+%d factor %d, want %d·65536+%d factor %d",
				c.height, c.time, s, f, factor(f), c.shifts, c.frac, c.factor)
		}
		bits, err := NextTarget(a, p, c.height, c.time)
		if err != nil || bits != c.bits {
			t.Errorf("height %d time %d: bits %08x (%v), want %08x",
				c.height, c.time, bits, err, c.bits)
		}
	}
}

// TestFactor checks the cubic over its whole domain against the same sum in
// math/big: uint64 never wraps (the sum reaches 2^64 − 1.8·10^14 at 65535,
// beyond int64), the factor never falls from 65536, stays below 131072,
// and is within 0.013% of 2^x.
func TestFactor(t *testing.T) {
	prev := uint64(0)
	for f := uint64(0); f < radix; f++ {
		bf := new(big.Int).SetUint64(f)
		sum := new(big.Int).Mul(big.NewInt(polyC3), bf)
		sum.Add(sum, big.NewInt(polyC2)).Mul(sum, bf)
		sum.Add(sum, big.NewInt(polyC1)).Mul(sum, bf)
		sum.Add(sum, big.NewInt(polyRound))
		want := sum.Rsh(sum, 48).Uint64() + radix
		got := factor(f)
		if got != want {
			t.Fatalf("factor(%d) = %d, want %d", f, got, want)
		}
		if got < prev || got >= 2*radix {
			t.Fatalf("factor(%d) = %d after %d", f, got, prev)
		}
		exact := math.Exp2(float64(f)/radix) * radix
		if math.Abs(float64(got)-exact)/exact > 0.00013 {
			t.Fatalf("factor(%d) = %d, 2^x = %.1f", f, got, exact)
		}
		prev = got
	}
	if factor(0) != radix {
		t.Errorf("factor(0) = %d", factor(0))
	}
}

// TestExtremes runs inputs at the ends of every range: no panic, a target
// in [1, PowLimit], the int64 and math/big exponents agree where both
// apply, and targets clamp the right way.
func TestExtremes(t *testing.T) {
	p := bchParams()
	limitBits := blockchain.BigToCompact(p.PowLimit)
	times := []int64{math.MinInt64, math.MinInt64 + 1, -1 << 47, -1, 0, 1,
		1 << 47, math.MaxInt64 - 1, math.MaxInt64}
	heights := []uint64{0, 1, 1 << 31, 1 << 63, math.MaxUint64 - 1, math.MaxUint64}
	anchors := []Anchor{
		{Height: 0, ParentTime: 0, Bits: 0x1d00ffff},
		{Height: 0, ParentTime: math.MinInt64, Bits: 0x01010000},
		{Height: 0, ParentTime: math.MaxInt64, Bits: 0x1802aee8},
	}
	for _, a := range anchors {
		for _, h := range heights {
			for _, tm := range times {
				bits, err := NextTarget(a, p, h, tm)
				if err != nil {
					t.Fatalf("%+v h %d t %d: %v", a, h, tm, err)
				}
				target := blockchain.CompactToBig(bits)
				if target.Sign() <= 0 || target.Cmp(p.PowLimit) > 0 {
					t.Fatalf("%+v h %d t %d: bits %08x out of range", a, h, tm, bits)
				}
				s1, f1 := exponentBig(a, p, h, tm)
				s2, f2 := exponent(a, p, h, tm)
				if s1 != s2 || f1 != f2 {
					t.Fatalf("%+v h %d t %d: exponent %d+%d, big %d+%d", a, h, tm, s2, f2, s1, f1)
				}
			}
		}
	}
	// Far behind schedule: the pow limit. Far ahead: target 1.
	a := anchors[0]
	if bits, _ := NextTarget(a, p, 0, math.MaxInt64); bits != limitBits {
		t.Errorf("far behind: %08x", bits)
	}
	if bits, _ := NextTarget(a, p, math.MaxUint64, math.MinInt64); bits != 0x01010000 {
		t.Errorf("far ahead: %08x, want target 1", bits)
	}
}

// TestErrors checks the codes of every refusal.
func TestErrors(t *testing.T) {
	good := Anchor{Height: 10, ParentTime: 1000, Bits: 0x1c0fffff}
	cases := []struct {
		name   string
		a      Anchor
		p      func(*Params) *Params
		height uint64
		code   ErrorCode
	}{
		{"nil params", good, func(*Params) *Params { return nil }, 10, ErrBadParams},
		{"zero half-life", good, func(p *Params) *Params { p.HalfLife = 0; return p }, 10, ErrBadParams},
		{"negative ideal", good, func(p *Params) *Params { p.IdealBlockTime = -1; return p }, 10, ErrBadParams},
		{"nil limit", good, func(p *Params) *Params { p.PowLimit = nil; return p }, 10, ErrBadParams},
		{"zero limit", good, func(p *Params) *Params { p.PowLimit = new(big.Int); return p }, 10, ErrBadParams},
		{"257-bit limit", good, func(p *Params) *Params {
			p.PowLimit = new(big.Int).Lsh(big.NewInt(1), 256)
			return p
		}, 10, ErrBadParams},
		{"zero anchor bits", Anchor{Height: 10, Bits: 0}, nil, 10, ErrBadAnchor},
		{"negative anchor bits", Anchor{Height: 10, Bits: 0x1c8fffff}, nil, 10, ErrBadAnchor},
		{"anchor above limit", Anchor{Height: 10, Bits: 0x1d01ffff}, nil, 10, ErrBadAnchor},
		{"before anchor", good, nil, 9, ErrBeforeAnchor},
	}
	for _, c := range cases {
		p := bchParams()
		if c.p != nil {
			p = c.p(p)
		}
		_, err := NextTarget(c.a, p, c.height, 5000)
		if code, ok := ErrorCodeOf(err); !ok || code != c.code {
			t.Errorf("%s: NextTarget: %v, want %v", c.name, err, c.code)
		}
		if err := CheckBits(c.a, p, c.height, 5000, 0x1c0fffff); !IsErrorCode(err, c.code) {
			t.Errorf("%s: CheckBits: %v, want %v", c.name, err, c.code)
		}
		if c.code != ErrBeforeAnchor {
			if err := CheckParams(c.a, p); !IsErrorCode(err, c.code) {
				t.Errorf("%s: CheckParams: %v, want %v", c.name, err, c.code)
			}
		}
	}

	// Wrong bits, and the right target in a non-canonical form: the
	// anchor's target 0x0fff00·256^25 is also 0x000fff·256^26, which
	// 0x1d000fff encodes.
	p := bchParams()
	anchor := Anchor{Height: 10, ParentTime: 1000, Bits: 0x1c0fff00}
	want, err := NextTarget(anchor, p, 10, 1600)
	if err != nil || want != anchor.Bits {
		t.Fatalf("on schedule: %08x %v", want, err)
	}
	if blockchain.CompactToBig(0x1d000fff).Cmp(blockchain.CompactToBig(want)) != 0 {
		t.Fatal("0x1d000fff is not the same target")
	}
	for _, bits := range []uint32{0x1c0ffeff, 0x1c0fff01, 0x1d000fff, 0} {
		if err := CheckBits(anchor, p, 10, 1600, bits); !IsErrorCode(err, ErrBadDifficulty) {
			t.Errorf("bits %08x: %v, want ErrBadDifficulty", bits, err)
		}
	}
	if err := CheckBits(anchor, p, 10, 1600, want); err != nil {
		t.Errorf("right bits refused: %v", err)
	}
}

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if _, ok := errorCodeStrings[c]; !ok {
			t.Errorf("error code %d has no name", int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
	if got := numErrorCodes.String(); got != fmt.Sprintf("Unknown ErrorCode (%d)", int(numErrorCodes)) {
		t.Errorf("unknown code prints %q", got)
	}
	err := fmt.Errorf("wrapped: %w", ruleErrorf(ErrBadDifficulty, "x"))
	if !errors.Is(err, ErrBadDifficulty) || errors.Is(err, ErrBadParams) {
		t.Error("errors.Is through wrapping")
	}
	if !errors.Is(err, RuleError{ErrorCode: ErrBadDifficulty}) {
		t.Error("errors.Is with a RuleError target")
	}
	if _, ok := ErrorCodeOf(errors.New("plain")); ok {
		t.Error("code of a plain error")
	}
}

// TestScheduleOffset checks the seconds behind (positive) or ahead of
// schedule, saturated at the ends of int64, and its errors.
func TestScheduleOffset(t *testing.T) {
	p := bchParams()
	a := Anchor{Height: 10, ParentTime: 1000, Bits: 0x1c0fffff}
	cases := []struct {
		height uint64
		time   int64
		want   int64
	}{
		{10, 1600, 0},    // the anchor, on time
		{12, 2800, 0},    // two blocks later, on time
		{12, 2700, -100}, // 100 s ahead
		{10, 1600 + 172800, 172800},
		{10, math.MaxInt64, math.MaxInt64 - 1600},
		{10, math.MinInt64, math.MinInt64},
		{math.MaxUint64, 0, math.MinInt64},
	}
	for _, c := range cases {
		got, err := ScheduleOffset(a, p, c.height, c.time)
		if err != nil || got != c.want {
			t.Errorf("height %d time %d: %d (%v), want %d", c.height, c.time, got, err, c.want)
		}
	}
	if _, err := ScheduleOffset(a, p, 9, 0); !IsErrorCode(err, ErrBeforeAnchor) {
		t.Errorf("before anchor: %v", err)
	}
	if _, err := ScheduleOffset(a, nil, 10, 0); !IsErrorCode(err, ErrBadParams) {
		t.Errorf("nil params: %v", err)
	}
}
