package chainparams

import (
	"testing"
	"time"
)

// TestPosNetworks checks the pos test networks' timing, that they pass
// Check, and pins their engine digests and genesis ids.
func TestPosNetworks(t *testing.T) {
	for _, c := range []struct {
		p               *Params
		slot            time.Duration
		perEpoch        uint64
		digest, genesis string
	}{
		{&PosRegtest, time.Second, 8, "a562e741dd53d0393f9b1a31032e618441ce591b3e6525c1d0287231cdabdc96", "3fa49e130384d162f7f5d62788190a26685aaa19801feae57736bdb509bea4db"},
		{&PosMainlike, 12 * time.Second, 32, "3a4350a338c3367cfcb834e51b2d0ea220a07e1f5b4916dbb7e00421716d8735", "acb1ddc02ba1fad670a502376064de2100960784ea5642cd4c93a48b6d0d0af0"},
	} {
		if err := c.p.Pos.Check(); err != nil {
			t.Fatalf("%s: %v", c.p.Name, err)
		}
		if c.p.Engine != PoS || c.p.Pos.SlotDuration != c.slot ||
			c.p.Pos.SlotsPerEpoch != c.perEpoch ||
			len(c.p.Pos.Validators) != DevValidatorCount {
			t.Errorf("%s: engine %v, %v × %d, %d validators", c.p.Name,
				c.p.Engine, c.p.Pos.SlotDuration, c.p.Pos.SlotsPerEpoch,
				len(c.p.Pos.Validators))
		}
		id, err := c.p.GenesisID()
		if err != nil {
			t.Fatal(err)
		}
		if got := c.p.EngineDigest().String(); got != c.digest {
			t.Errorf("%s: engine digest %s, want %s", c.p.Name, got, c.digest)
		}
		if id.String() != c.genesis {
			t.Errorf("%s: genesis id %s, want %s", c.p.Name, id, c.genesis)
		}
	}
	if p, err := ByName("posregtest"); err != nil || p != &PosRegtest {
		t.Error("posregtest is not a network")
	}
	if _, err := ByName("posmainlike"); err == nil {
		t.Error("posmainlike is a --network")
	}
}

// clonePos returns a deep copy of p's pos parameters in a copy of p.
func clonePos(p Params) Params {
	pp := *p.Pos
	pp.Validators = append([]PosValidator(nil), pp.Validators...)
	for i := range pp.Validators {
		pp.Validators[i].WithdrawalScript = append([]byte(nil),
			pp.Validators[i].WithdrawalScript...)
	}
	p.Pos = &pp
	return p
}

// TestPosGenesisIDCommits checks that every pos parameter changes the
// genesis id, and that Check refuses what no chain can follow.
func TestPosGenesisIDCommits(t *testing.T) {
	base, err := PosRegtest.GenesisID()
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]func(p *Params){
		"preset":       func(p *Params) { p.Pos.Preset = PosMainnetPreset; p.Pos.SlotsPerEpoch = 32 },
		"slot":         func(p *Params) { p.Pos.SlotDuration = 2 * time.Second },
		"genesis time": func(p *Params) { p.Pos.GenesisTime++ },
		"key":          func(p *Params) { p.Pos.Validators[1].PublicKey[5] ^= 1 },
		"script":       func(p *Params) { p.Pos.Validators[2].WithdrawalScript[3] ^= 1 },
		"balance":      func(p *Params) { p.Pos.Validators[3].Balance++ },
		"fewer":        func(p *Params) { p.Pos.Validators = p.Pos.Validators[:3] },
		"sidechain id": func(p *Params) { p.SidechainID++ },
	}
	seen := map[string]string{base.String(): "base"}
	for name, mod := range mods {
		p := clonePos(PosRegtest)
		mod(&p)
		id, err := p.GenesisID()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if prev, ok := seen[id.String()]; ok {
			t.Errorf("%s: same genesis id as %s", name, prev)
		}
		seen[id.String()] = name
	}
	if again, _ := PosRegtest.GenesisID(); again != base {
		t.Fatal("PosRegtest changed")
	}
	bad := map[string]func(p *Params){
		"preset":         func(p *Params) { p.Pos.Preset = 9 },
		"slots":          func(p *Params) { p.Pos.SlotsPerEpoch = 32 },
		"slot":           func(p *Params) { p.Pos.SlotDuration = 0 },
		"sub-ms slot":    func(p *Params) { p.Pos.SlotDuration = time.Second + 1 },
		"no validator":   func(p *Params) { p.Pos.Validators = nil },
		"zero key":       func(p *Params) { p.Pos.Validators[0].PublicKey = [48]byte{} },
		"repeated key":   func(p *Params) { p.Pos.Validators[1].PublicKey = p.Pos.Validators[0].PublicKey },
		"no script":      func(p *Params) { p.Pos.Validators[0].WithdrawalScript = nil },
		"zero balance":   func(p *Params) { p.Pos.Validators[0].Balance = 0 },
		"script too big": func(p *Params) { p.Pos.Validators[0].WithdrawalScript = make([]byte, 10_001) },
	}
	for name, mod := range bad {
		p := clonePos(PosRegtest)
		mod(&p)
		if err := p.Pos.Check(); err == nil {
			t.Errorf("%s: Check accepted", name)
		}
		if _, err := p.GenesisID(); err == nil {
			t.Errorf("%s: GenesisID accepted", name)
		}
	}
}

// TestPosSlotClock checks SlotAt and SlotStart against each other.
func TestPosSlotClock(t *testing.T) {
	p := PosRegtest.Pos
	start := time.Unix(p.GenesisTime, 0)
	if _, ok := p.SlotAt(start.Add(-time.Nanosecond)); ok {
		t.Error("a slot before genesis")
	}
	for _, s := range []uint64{0, 1, 7, 8, 1000} {
		at := p.SlotStart(s)
		if got, ok := p.SlotAt(at); !ok || got != s {
			t.Errorf("slot %d: SlotAt(start) = %d", s, got)
		}
		if got, _ := p.SlotAt(at.Add(p.SlotDuration - time.Nanosecond)); got != s {
			t.Errorf("slot %d: SlotAt(end) = %d", s, got)
		}
	}
}

// TestPosRegtestAt: another genesis time is another network, and
// PosRegtest is left as it was.
func TestPosRegtestAt(t *testing.T) {
	a := PosRegtestAt(2_000_000_000)
	if a.Pos.GenesisTime != 2_000_000_000 || PosRegtest.Pos.GenesisTime != posRegtestGenesisTime {
		t.Fatal("genesis times")
	}
	ida, _ := a.GenesisID()
	idb, _ := PosRegtest.GenesisID()
	if ida == idb {
		t.Fatal("same genesis id")
	}
	a.Pos.Validators[0].Balance++
	if PosRegtest.Pos.Validators[0].Balance != devValidatorBalance {
		t.Fatal("PosRegtest shares its validators")
	}
}
