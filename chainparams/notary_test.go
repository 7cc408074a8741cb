package chainparams

import (
	"testing"
	"time"
)

// TestEngineDigestsKept pins the engine digest and genesis id of every
// network that predates notary sets: adding the notary parameters must not
// change them, or existing data dirs would no longer open.
func TestEngineDigestsKept(t *testing.T) {
	for _, c := range []struct {
		p               *Params
		digest, genesis string
	}{
		{&Mainnet, "d0d6ea5a62d5bad481ea99e89884fe81b7cdd8c1904aca250d0e7d14a54cabfa", "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
		{&Testnet3, "d0d6ea5a62d5bad481ea99e89884fe81b7cdd8c1904aca250d0e7d14a54cabfa", "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"},
		{&Signet, "d0d6ea5a62d5bad481ea99e89884fe81b7cdd8c1904aca250d0e7d14a54cabfa", "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6"},
		{&Regtest, "d0d6ea5a62d5bad481ea99e89884fe81b7cdd8c1904aca250d0e7d14a54cabfa", "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"},
		{&Simnet, "d0d6ea5a62d5bad481ea99e89884fe81b7cdd8c1904aca250d0e7d14a54cabfa", "683e86bd5c6d110d91b94b97137ba6bfe02dbbdb8e3dff722a669b5d69d77af6"},
		{&PowRegtest, "ef6c7e79c716f1c688152b7e7670bbaf354a0adc3543a9c4609c4421cda99781", "ffd68f2196ddfd6a45af4856fef5c9f1c331081e26eedba531437d71597e7a0f"},
		{&PowSwitchtest, "e7537bd474c57d7d84611d21d406c9910c14c4982e1e40a118d6067ca27aad1f", "8e006c5e498adc95bb5a155156fd9b0f0f936ad99b3f6eec5b95ab00b5a66890"},
	} {
		if c.p.Notary != nil {
			t.Errorf("%s has a notary set", c.p.Name)
		}
		if got := c.p.EngineDigest().String(); got != c.digest {
			t.Errorf("%s: engine digest %s, want %s", c.p.Name, got, c.digest)
		}
		id, err := c.p.GenesisID()
		if err != nil {
			t.Fatal(err)
		}
		if id.String() != c.genesis {
			t.Errorf("%s: genesis id %s, want %s", c.p.Name, id, c.genesis)
		}
	}
}

// TestDpowDigestsPinned pins the engine digest and genesis id of the
// networks with the test notary set, now that --network selects them: a
// change to their consensus parameters must be deliberate, since data dirs
// of the old ones would no longer open.
func TestDpowDigestsPinned(t *testing.T) {
	for _, c := range []struct {
		p               *Params
		digest, genesis string
	}{
		{&DpowRegtest, "ad89592a960acb40aec91d08021507cf676c999744789b7d92bc1007ebb30cf7", "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"},
		{&PowDpowRegtest, "d49a9afc3a1f79f9c514d806b313f7d0116b72fb5fed302608c1b70792c9f07b", "7ea66c4ceac869222c8032aa52eeacc3f82c94c2b6ab99118c0325ecd85caa08"},
	} {
		if c.p.Notary == nil {
			t.Fatalf("%s has no notary set", c.p.Name)
		}
		if got, err := ByName(c.p.Name); err != nil || got != c.p {
			t.Errorf("%s is not selectable: %v", c.p.Name, err)
		}
		if got := c.p.EngineDigest().String(); got != c.digest {
			t.Errorf("%s: engine digest %s, want %s", c.p.Name, got, c.digest)
		}
		id, err := c.p.GenesisID()
		if err != nil {
			t.Fatal(err)
		}
		if id.String() != c.genesis {
			t.Errorf("%s: genesis id %s, want %s", c.p.Name, id, c.genesis)
		}
	}
}

// cloneNotary returns a deep copy of p, so that tests can modify it.
func cloneNotary(p *NotaryParams) *NotaryParams {
	c := *p
	c.Seasons = make([]NotarySeason, len(p.Seasons))
	for i, s := range p.Seasons {
		s.Pubkeys = append([][33]byte(nil), s.Pubkeys...)
		c.Seasons[i] = s
	}
	return &c
}

// TestNotaryDigest checks that the notary set's consensus parameters are
// part of the engine digest (and so of a pow network's genesis id), and
// that the alarm ages are not.
func TestNotaryDigest(t *testing.T) {
	for _, p := range []*Params{&DpowRegtest, &PowDpowRegtest} {
		if err := p.Notary.Check(); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
	}
	if DpowRegtest.EngineDigest() == Regtest.EngineDigest() {
		t.Fatal("dpowregtest has regtest's engine digest")
	}
	powID, _ := PowRegtest.GenesisID()
	if id, err := PowDpowRegtest.GenesisID(); err != nil || id == powID {
		t.Fatalf("powdpowregtest genesis %v (%v), powregtest's %v", id, err, powID)
	}
	base := DpowRegtest.EngineDigest()
	other := DevNotaryKey(9).PubKey().SerializeCompressed()
	mods := map[string]func(n *NotaryParams){
		"start height": func(n *NotaryParams) { n.Seasons[0].StartHeight = 1 },
		"threshold":    func(n *NotaryParams) { n.Seasons[0].Threshold = 4 },
		"key":          func(n *NotaryParams) { copy(n.Seasons[0].Pubkeys[4][:], other) },
		"key order": func(n *NotaryParams) {
			k := n.Seasons[0].Pubkeys
			k[0], k[1] = k[1], k[0]
		},
		"fewer keys": func(n *NotaryParams) { n.Seasons[0].Pubkeys = n.Seasons[0].Pubkeys[:4] },
		"season": func(n *NotaryParams) {
			n.Seasons = append(n.Seasons, NotarySeason{StartHeight: 50,
				Pubkeys: n.Seasons[0].Pubkeys, Threshold: 3})
		},
		"interval": func(n *NotaryParams) { n.NotarizationInterval++ },
		"depth":    func(n *NotaryParams) { n.NotarizationDepth++ },
		"confs":    func(n *NotaryParams) { n.MainConfirmations++ },
	}
	seen := map[string]string{base.String(): "base"}
	for name, mod := range mods {
		p := DpowRegtest
		p.Notary = cloneNotary(DpowRegtest.Notary)
		mod(p.Notary)
		d := p.EngineDigest().String()
		if prev, ok := seen[d]; ok {
			t.Errorf("%s: same digest as %s", name, prev)
		}
		seen[d] = name
	}
	if DpowRegtest.EngineDigest() != base {
		t.Fatal("DpowRegtest changed")
	}
	p := DpowRegtest
	p.Notary = cloneNotary(DpowRegtest.Notary)
	p.Notary.IrregularAge, p.Notary.InactiveAge = time.Hour, 2*time.Hour
	if p.EngineDigest() != base {
		t.Error("the alarm ages changed the digest")
	}
}

// TestNotaryParamsCheck checks that every kind of bad notary parameters
// fails Check, and that PowGenesis refuses them.
func TestNotaryParamsCheck(t *testing.T) {
	bad := map[string]func(n *NotaryParams){
		"no season":          func(n *NotaryParams) { n.Seasons = nil },
		"negative start":     func(n *NotaryParams) { n.Seasons[0].StartHeight = -1 },
		"no keys":            func(n *NotaryParams) { n.Seasons[0].Pubkeys = nil },
		"threshold 0":        func(n *NotaryParams) { n.Seasons[0].Threshold = 0 },
		"threshold too high": func(n *NotaryParams) { n.Seasons[0].Threshold = 6 },
		"uncompressed":       func(n *NotaryParams) { n.Seasons[0].Pubkeys[2][0] = 0x04 },
		"off the curve":      func(n *NotaryParams) { n.Seasons[0].Pubkeys[2] = [33]byte{0x02} },
		"duplicate key":      func(n *NotaryParams) { n.Seasons[0].Pubkeys[3] = n.Seasons[0].Pubkeys[1] },
		"too many keys": func(n *NotaryParams) {
			k := make([][33]byte, MaxNotaries+1)
			for i := range k {
				copy(k[i][:], DevNotaryKey(i).PubKey().SerializeCompressed())
			}
			n.Seasons[0].Pubkeys = k
		},
		"same start": func(n *NotaryParams) {
			n.Seasons = append(n.Seasons, n.Seasons[0])
		},
		"start goes down": func(n *NotaryParams) {
			s := n.Seasons[0]
			s.StartHeight = 10
			n.Seasons = []NotarySeason{s, n.Seasons[0]}
		},
		"interval":         func(n *NotaryParams) { n.NotarizationInterval = 0 },
		"depth":            func(n *NotaryParams) { n.NotarizationDepth = -1 },
		"confs":            func(n *NotaryParams) { n.MainConfirmations = 0 },
		"irregular age":    func(n *NotaryParams) { n.IrregularAge = 0 },
		"ages not ordered": func(n *NotaryParams) { n.InactiveAge = n.IrregularAge },
	}
	for name, mod := range bad {
		n := cloneNotary(DpowRegtest.Notary)
		mod(n)
		if err := n.Check(); err == nil {
			t.Errorf("%s: Check passed", name)
		}
		p := PowDpowRegtest
		p.Notary = n
		if _, err := p.GenesisID(); err == nil {
			t.Errorf("%s: PowGenesis passed", name)
		}
	}
	// A second season later on with its own keys and threshold is fine.
	n := cloneNotary(DpowRegtest.Notary)
	n.Seasons = append(n.Seasons, NotarySeason{StartHeight: 100,
		Pubkeys: n.Seasons[0].Pubkeys[1:], Threshold: 4})
	if err := n.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestSeasonAt checks the season in force around each switch.
func TestSeasonAt(t *testing.T) {
	n := cloneNotary(DpowRegtest.Notary)
	n.Seasons[0].StartHeight = 10
	n.Seasons = append(n.Seasons,
		NotarySeason{StartHeight: 20, Pubkeys: n.Seasons[0].Pubkeys[1:], Threshold: 2},
		NotarySeason{StartHeight: 21, Pubkeys: n.Seasons[0].Pubkeys[:2], Threshold: 2})
	if err := n.Check(); err != nil {
		t.Fatal(err)
	}
	for h, want := range map[int32]int{-1: -1, 0: -1, 9: -1, 10: 0, 19: 0,
		20: 1, 21: 2, 1 << 30: 2} {

		idx, s, ok := n.SeasonAt(h)
		if idx != want || ok != (want >= 0) || (ok && s != &n.Seasons[want]) {
			t.Errorf("SeasonAt(%d) = %d %v %v, want %d", h, idx, s, ok, want)
		}
	}
	_, s, _ := n.SeasonAt(20)
	if s.NotaryIndex(n.Seasons[0].Pubkeys[0][:]) != -1 ||
		s.NotaryIndex(n.Seasons[0].Pubkeys[2][:]) != 1 {
		t.Error("NotaryIndex")
	}
}
