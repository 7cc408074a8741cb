package store

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
)

// preflight checks an existing badger data dir before badger opens it,
// because badger mishandles some damage in ways this store must not
// accept: a table file with a garbled footer makes badger panic in a
// background goroutine (which kills the process and cannot be recovered),
// and a table whose checksum fails verification at open is silently
// dropped. Worse, a data block that fails its checksum later makes badger report
// the keys in it as absent rather than fail.
//
// So preflight replays the MANIFEST read-only and, for every table it
// references, opens the index and verifies the checksum of every block,
// recovering from panics. That reads all table files once per Open (about a
// second per GiB). Table files the MANIFEST does not reference are left
// alone; they are what a kill during a flush or compaction leaves behind,
// and badger deletes them. Blocks are checked again by badger on every read
// from disk (ChecksumVerificationMode OnBlockRead).
func preflight(dir string) error {
	fp, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if err != nil {
		return err
	}
	defer fp.Close()
	mopts := badger.DefaultOptions(dir).WithLogger(badgerLogger{})
	manifest, _, err := badger.ReplayManifestFile(fp, 0, mopts)
	if err != nil {
		return fmt.Errorf("MANIFEST: %w", err)
	}
	ids := make([]uint64, 0, len(manifest.Tables))
	for id := range manifest.Tables {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		tm := manifest.Tables[id]
		if tm.KeyID != 0 {
			return fmt.Errorf("table %s is encrypted; this store "+
				"never encrypts", table.IDToFilename(id))
		}
		if err := checkTable(table.NewFilename(id, dir), tm); err != nil {
			return err
		}
	}
	return nil
}

// checkTable opens one table file's index read-only, turning a panic into
// an error.
func checkTable(path string, tm badger.TableManifest) (err error) {
	name := filepath.Base(path)
	fd, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	fi, err := fd.Stat()
	if err != nil {
		fd.Close()
		return fmt.Errorf("table %s: %w", name, err)
	}
	if fi.Size() < 8 {
		fd.Close()
		return fmt.Errorf("table %s is truncated (%d bytes)", name,
			fi.Size())
	}
	mf, err := z.OpenMmapFileUsing(fd, 0, false)
	if err != nil {
		fd.Close()
		return fmt.Errorf("table %s: %w", name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("table %s is damaged (badger "+
				"panicked reading it: %v)", name, r)
		}
		// Never call Table.DecrRef here: it deletes the file.
		_ = mf.Close(-1)
	}()
	t, err := table.OpenTable(mf, table.Options{
		ReadOnly:    true,
		ChkMode:     options.NoVerification,
		BlockSize:   4 << 10,
		Compression: tm.Compression,
	})
	if err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	// With NoVerification, VerifyChecksum checks every block itself.
	// (It dereferences a nil block when one cannot even be read; the
	// recover above turns that into an error too.)
	if err := t.VerifyChecksum(); err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	return nil
}

// emptyLogName matches badger's write-ahead (.mem) and value log (.vlog)
// file names.
var emptyLogName = regexp.MustCompile(`^[0-9]+\.(mem|vlog)$`)

// removeEmptyLogs deletes zero-length .mem and .vlog files. Badger creates
// such a file and then sizes it; a kill in between leaves an empty file
// that makes badger.Open fail with z.NewFile (badger issue #2207, open as
// of v4.9.6). An empty file holds no data, so removing it loses nothing;
// badger creates a fresh one when it needs it.
func removeEmptyLogs(dir string, entries []os.DirEntry) error {
	removed := false
	for _, e := range entries {
		if !e.Type().IsRegular() || !emptyLogName.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if info.Size() != 0 {
			continue
		}
		log.Warnf("Removing empty log file %s left by an interrupted "+
			"run", filepath.Join(dir, e.Name()))
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
		removed = true
	}
	if !removed {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
