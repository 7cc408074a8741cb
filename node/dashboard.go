package node

import (
	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/dashboard"
	"github.com/mainstake/sidenode/metrics"
)

// newDashboard returns the constructor of the web dashboard that the API's
// REST gateway serves: the pages of the network's engine, the node's metrics
// (none when mtr is nil) and the sidechain's address parameters.
func newDashboard(params *chainparams.Params, mtr *metrics.Metrics) api.NewWebUI {
	return func(env api.WebUIEnv) (api.WebUI, error) {
		cfg := dashboard.Config{
			Gateway:      env.Gateway,
			Conn:         env.Conn,
			ReadOnly:     env.ReadOnly,
			Authenticate: env.Authenticate,
			SideParams:   params.Side,
			MainParams:   params.Main,
			Panels:       dashboard.MainstakePanels(),
		}
		if params.Engine == chainparams.PoW {
			cfg.Panels = dashboard.PowPanels()
		}
		if mtr != nil {
			cfg.Metrics = mtr.Registry()
		}
		return dashboard.New(cfg)
	}
}
