package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// markerFile is a small text file the store writes into its data dir once
// the badger metadata of a new store has been committed. It records that
// the dir has been initialized, independently of badger's own files: if
// badger later opens the dir as an empty database (for example because a
// damaged MANIFEST no longer references the table files), the marker makes
// Open fail with ErrCorrupt instead of initializing a new, empty store over
// the remains of the old one. It is informational otherwise; the metadata
// inside badger is what Open checks.
const markerFile = "SIDENODE-STORE"

// dirState is what checkDir saw in the data dir before badger opened it.
type dirState struct {
	hadTables bool // table files (*.sst) present
	hasMarker bool // markerFile present
}

// writeMarker atomically writes markerFile into dir.
func writeMarker(dir string, opts Options) error {
	content := fmt.Sprintf("This directory is a sidenode store; do not "+
		"edit or delete files in it.\nformat version: %d\nnetwork: "+
		"%s\ngenesis: %v\nengine: %s\nengine digest: %v\n", dbVersion,
		opts.Network, opts.Genesis, opts.engine(), opts.EngineDigest)
	tmp := filepath.Join(dir, markerFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, markerFile)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// checkMarker refuses, with ErrWrongNetwork, a dir whose marker names
// another network or genesis than opts. A marker it cannot read or parse
// is left to the checks of the metadata inside badger.
func checkMarker(dir string, opts Options) error {
	data, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return nil
	}
	var network, genesis, engine, digest string
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "engine: "); ok {
			engine = v
		}
		if v, ok := strings.CutPrefix(line, "engine digest: "); ok {
			digest = v
		}
		if v, ok := strings.CutPrefix(line, "network: "); ok {
			network = v
		}
		if v, ok := strings.CutPrefix(line, "genesis: "); ok {
			genesis = v
		}
	}
	if network == "" || genesis == "" {
		return nil
	}
	if engine != "" {
		var d []byte
		if h, err := chainhash.NewHashFromStr(digest); err == nil {
			d = h[:]
		}
		if err := opts.checkEngine(dir, network, engine, d); err != nil {
			return err
		}
	}
	if network != opts.Network || genesis != opts.Genesis.String() {
		return storeError(ErrWrongNetwork, fmt.Sprintf("data dir %q "+
			"holds network %q (genesis %s) but the node was started "+
			"on network %q (genesis %v)", dir, network, genesis,
			opts.Network, opts.Genesis))
	}
	return nil
}
