package chainparams

import (
	"math/big"
	"testing"
)

// TestGenesisIDCommitsToEngine checks that the genesis id of a pow network
// changes with every engine parameter, and that mainstake networks keep
// the mainchain's genesis hash.
func TestGenesisIDCommitsToEngine(t *testing.T) {
	for _, p := range []*Params{&Mainnet, &Testnet3, &Signet, &Regtest, &Simnet} {
		id, err := p.GenesisID()
		if err != nil {
			t.Fatal(err)
		}
		if id != *p.Main.GenesisHash || p.Engine != Mainstake {
			t.Errorf("%s: genesis %v engine %v", p.Name, id, p.Engine)
		}
	}
	base, err := PowRegtest.GenesisID()
	if err != nil {
		t.Fatal(err)
	}
	if base == *PowRegtest.Main.GenesisHash {
		t.Fatal("pow genesis id is the mainchain's")
	}
	mods := map[string]func(p *Params){
		"half-life":     func(p *Params) { p.Pow.Schedule[1].HalfLife++ },
		"ideal time":    func(p *Params) { p.Pow.Schedule[1].IdealBlockTime++ },
		"bits":          func(p *Params) { p.Pow.Schedule[1].Bits = 0x2000ffff },
		"pow limit":     func(p *Params) { p.Pow.Schedule[0].PowLimit = new(big.Int).Lsh(big.NewInt(1), 255) },
		"algorithm":     func(p *Params) { p.Pow.Schedule[1].Algorithm = RandomX },
		"from height":   func(p *Params) { p.Pow.Schedule[1].FromHeight = 3 },
		"anchor time":   func(p *Params) { p.Pow.Schedule[1].AnchorParentTime = 5 },
		"main ref":      func(p *Params) { p.Pow.MainRefDepth++ },
		"future limit":  func(p *Params) { p.Pow.MaxFutureBlockTime++ },
		"genesis time":  func(p *Params) { p.Pow.GenesisTime++ },
		"sidechain id":  func(p *Params) { p.SidechainID++ },
		"another era":   func(p *Params) { p.Pow.Schedule = append(p.Pow.Schedule, powRegtestEra(9, SHA256d, 0)) },
		"switch height": func(p *Params) { p.Pow.Schedule = PowSwitchtest.Pow.Schedule },
	}
	seen := map[string]string{base.String(): "base"}
	for name, mod := range mods {
		p := PowRegtest
		pp := *PowRegtest.Pow
		pp.Schedule = append([]PowEra(nil), pp.Schedule...)
		p.Pow = &pp
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
	// The base was not modified through a shared slice.
	if again, _ := PowRegtest.GenesisID(); again != base {
		t.Fatal("PowRegtest changed")
	}
}

// TestPowParamsCheck checks that the test networks pass Check and that
// every kind of bad schedule fails it.
func TestPowParamsCheck(t *testing.T) {
	for _, p := range []*Params{&PowRegtest, &PowSwitchtest} {
		if err := p.Pow.Check(); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
	}
	bad := map[string]func(p *PowParams){
		"empty":            func(p *PowParams) { p.Schedule = nil },
		"not from 0":       func(p *PowParams) { p.Schedule[0].FromHeight = 1 },
		"not increasing":   func(p *PowParams) { p.Schedule[1].FromHeight = 0 },
		"algorithm":        func(p *PowParams) { p.Schedule[1].Algorithm = 0 },
		"half-life":        func(p *PowParams) { p.Schedule[1].HalfLife = 0 },
		"ideal time":       func(p *PowParams) { p.Schedule[1].IdealBlockTime = -1 },
		"no pow limit":     func(p *PowParams) { p.Schedule[1].PowLimit = nil },
		"wide pow limit":   func(p *PowParams) { p.Schedule[1].PowLimit = new(big.Int).Lsh(big.NewInt(1), 256) },
		"bits above limit": func(p *PowParams) { p.Schedule[1].PowLimit = big.NewInt(1000) },
		"zero bits":        func(p *PowParams) { p.Schedule[1].Bits = 0 },
		"genesis anchor":   func(p *PowParams) { p.Schedule[0].AnchorParentTime = 0 },
		"future limit":     func(p *PowParams) { p.MaxFutureBlockTime = 0 },
		"main ref depth":   func(p *PowParams) { p.MainRefDepth = -1 },
	}
	for name, mod := range bad {
		pp := *PowRegtest.Pow
		pp.Schedule = append([]PowEra(nil), pp.Schedule...)
		mod(&pp)
		if err := pp.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, _, err := (&Params{Name: "x", Engine: PoW, Pow: &pp, Main: PowRegtest.Main}).PowGenesis(); err == nil {
			t.Errorf("%s: genesis built", name)
		}
	}
}

// TestEraAt checks the era in force around each switch height.
func TestEraAt(t *testing.T) {
	p := PowSwitchtest.Pow
	for _, tc := range []struct {
		height int32
		from   int32
		algo   PowAlgorithm
	}{{0, 0, SHA256d}, {1, 0, SHA256d}, {2, 2, SHA256d}, {19, 2, SHA256d},
		{20, 20, RandomX}, {39, 20, RandomX}, {40, 40, Ethash}, {1 << 30, 40, Ethash}} {
		e, ok := p.EraAt(tc.height)
		if !ok || e.FromHeight != tc.from || e.Algorithm != tc.algo {
			t.Errorf("height %d: era from %d %v, %v", tc.height, e.FromHeight, e.Algorithm, ok)
		}
	}
	if _, ok := p.EraAt(-1); ok {
		t.Error("era at height -1")
	}
}

// TestByName checks that --network names resolve, the pow test
// networks included, and an unknown name does not.
func TestByName(t *testing.T) {
	for _, name := range []string{"powregtest", "powswitchtest", "powdpowregtest"} {
		p, err := ByName(name)
		if err != nil || p.Engine != PoW || p.Name != name {
			t.Fatalf("%s: %v %v", name, p, err)
		}
	}
	if p, err := ByName("dpowregtest"); err != nil || p.Engine != Mainstake || p.Notary == nil {
		t.Fatalf("dpowregtest: %v %v", p, err)
	}
	if p, err := ByName("powdpowregtest"); err != nil || p.Notary == nil {
		t.Fatalf("powdpowregtest: %v %v", p, err)
	}
	if _, err := ByName("powtestnet"); err == nil {
		t.Fatal("an unknown network is selectable")
	}
	if Engine(9).String() == "" || PoS.String() != "pos" || PoW.String() != "pow" || Mainstake.String() != "mainstake" {
		t.Fatal("engine names")
	}
}
