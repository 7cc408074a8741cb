package watchtest

import (
	"testing"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/mainwatch/btcdwatch"
	"github.com/mainstake/sidenode/mainwatch/neutrinowatch"
)

// btcdBackend starts a btcdwatch.Source against h.
func btcdBackend() Backend {
	return Backend{
		Name: "btcd",
		Start: func(t testing.TB, h *btctest.Harness, _ string) (mainwatch.Source, func()) {
			cert, err := h.Cert()
			if err != nil {
				t.Fatal(err)
			}
			src, err := btcdwatch.New(btcdwatch.Config{
				Host:   h.RPCAddr,
				User:   h.RPCUser,
				Pass:   h.RPCPass,
				Cert:   cert,
				Params: h.Params,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Start(); err != nil {
				t.Fatal(err)
			}
			return src, func() { _ = src.Stop() }
		},
	}
}

func TestConformanceBtcd(t *testing.T) {
	Run(t, btcdBackend())
}

// neutrinoBackend starts a neutrinowatch.Source connected to h's p2p port.
func neutrinoBackend() Backend {
	return Backend{
		Name: "neutrino",
		Start: func(t testing.TB, h *btctest.Harness, dir string) (mainwatch.Source, func()) {
			src, err := neutrinowatch.New(neutrinowatch.Config{
				DataDir:      dir,
				Params:       h.Params,
				ConnectPeers: []string{h.P2PAddr},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Start(); err != nil {
				t.Fatal(err)
			}
			return src, func() { _ = src.Stop() }
		},
	}
}

func TestConformanceNeutrino(t *testing.T) {
	Run(t, neutrinoBackend())
}
