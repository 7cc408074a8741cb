package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/store"
)

// errDataDir marks the refusals of checkDataDir.
var errDataDir = errors.New("unusable data dir")

// networkDirNames are the names the node writes in <datadir>/<network>.
// A network dir that holds none of them was not made by sidenode.
var networkDirNames = []string{
	"state", "pool", "bans.json", "headerfees.json", "wallet.seed", "neutrino",
	api.TLSCertFilename, api.TLSKeyFilename, api.AdminCredFilename,
	api.ReadOnlyCredFilename,
}

// isNodeName reports whether name is one the node writes in a network dir,
// a state dir moved aside by --resync included.
func isNodeName(name string) bool {
	for _, n := range networkDirNames {
		if name == n {
			return true
		}
	}
	return strings.HasPrefix(name, "state.moved-")
}

// checkDataDir checks --datadir before the node writes anything in it, so
// that a mistyped or foreign dir is refused as it was found. A missing
// --datadir is fine: the node creates it, as btcd does. It refuses:
//   - a path that is not a dir, or a dir it cannot read;
//   - a network dir given as --datadir (<datadir>/regtest instead of
//     <datadir>): the node would make a second data dir inside it;
//   - a <datadir>/<network> that holds files sidenode never writes (btcd's
//     data dir, say).
//
// A store made for another network is refused by the store itself, see
// OpenStore.
func checkDataDir(cfg *Config) error {
	dir := cfg.DataDir
	entries, err := readDir(dir)
	if err != nil || entries == nil {
		return err
	}
	for _, e := range entries {
		if isNodeName(e.Name()) {
			return fmt.Errorf("%w: --datadir %s holds %s, so it is the "+
				"dir of one network inside a data dir: give its "+
				"parent, %s, as --datadir and choose the network "+
				"with --network", errDataDir, dir, e.Name(),
				filepath.Dir(dir))
		}
	}
	netDir := cfg.NetworkDir()
	netEntries, err := readDir(netDir)
	if err != nil || len(netEntries) == 0 {
		return err
	}
	var found []string
	for _, e := range netEntries {
		if isNodeName(e.Name()) {
			return nil
		}
		if len(found) < 3 {
			found = append(found, e.Name())
		}
	}
	return fmt.Errorf("%w: --datadir %s is not a sidenode data dir: its "+
		"%s dir holds %s, which sidenode never writes; give --datadir "+
		"a dir of its own (nothing was changed)", errDataDir, dir,
		cfg.Network, strings.Join(found, ", "))
}

// readDir reads a dir of the data dir. A missing dir gives nil entries and
// no error; a file, or a dir that cannot be read, an error naming
// --datadir.
func readDir(dir string) ([]fs.DirEntry, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w: --datadir: %v", errDataDir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("%w: --datadir: %s is a file, not a dir",
			errDataDir, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: --datadir: cannot read %s: %v",
			errDataDir, dir, err)
	}
	if entries == nil {
		entries = []fs.DirEntry{}
	}
	return entries, nil
}

// wrongNetworkError adds the flags to fix to the store's refusal of a
// state dir made for another network.
func wrongNetworkError(cfg *Config, err error) error {
	if store.IsErrorCode(err, store.ErrWrongEngine) {
		return fmt.Errorf("%w (nothing was changed)", err)
	}
	if !store.IsErrorCode(err, store.ErrWrongNetwork) {
		return err
	}
	return fmt.Errorf("%w; start with the --network the dir was made "+
		"for, or give --datadir a dir of its own for --network=%s "+
		"(nothing was changed)", err, cfg.Network)
}
