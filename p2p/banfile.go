package p2p

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// banFileVersion is the version of the ban file's format.
const banFileVersion = 1

// maxBanFileSize bounds the ban file that is read: maxBans entries of the
// longest target and reason, with room to spare.
const maxBanFileSize = 16 << 20

// banFile is the ban file's content: the operator's bans, never the
// discouraged addresses.
type banFile struct {
	Version int            `json:"version"`
	Bans    []banFileEntry `json:"bans"`
}

// banFileEntry is one operator's ban in the ban file.
type banFileEntry struct {
	Target  string    `json:"target"`
	Created time.Time `json:"created"`
	Until   time.Time `json:"until"`
	Reason  string    `json:"reason,omitempty"`
}

// loadedBans is what loadBanFile found.
type loadedBans struct {
	// bans are the entries in force at load, by canonical target.
	bans map[string]Ban

	// expired counts the entries that ended before load.
	expired int

	// problem says why the file, or some of its entries, could not be
	// used; movedTo is where the file was moved aside to ("" if it was
	// not, or could not be).
	problem string
	movedTo string
}

// loadBanFile reads the operator's bans from path as of now. A missing
// file is no bans. Entries that ended by now are dropped. A file that
// cannot be read or decoded, or holds entries that are not valid bans, is
// moved aside to path.corrupt-<time> (never deleted), with the entries
// that are valid kept; the caller warns and, if any were kept, writes
// them anew.
func loadBanFile(path string, now time.Time) loadedBans {
	out := loadedBans{bans: make(map[string]Ban)}
	data, err := readBanFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out
	}
	var f banFile
	switch {
	case err != nil:
		out.problem = fmt.Sprintf("cannot read it: %v", err)
	default:
		if err := json.Unmarshal(data, &f); err != nil {
			out.problem = fmt.Sprintf("not a ban file: %v", err)
		} else if f.Version != banFileVersion {
			out.problem = fmt.Sprintf("format version %d, this node "+
				"reads %d", f.Version, banFileVersion)
			f.Bans = nil
		}
	}
	bad := 0
	for _, e := range f.Bans {
		b, err := e.ban()
		if err != nil {
			bad++
			if bad == 1 {
				out.problem = fmt.Sprintf("entry %q: %v", e.Target, err)
			}
			continue
		}
		if !now.Before(b.Until) {
			out.expired++
			continue
		}
		if _, dup := out.bans[b.Target]; !dup && len(out.bans) >= maxBans {
			bad++
			if bad == 1 {
				out.problem = fmt.Sprintf("more than %d bans", maxBans)
			}
			continue
		}
		if old, dup := out.bans[b.Target]; !dup || b.Until.After(old.Until) {
			out.bans[b.Target] = b
		}
	}
	if bad > 1 {
		out.problem += fmt.Sprintf(" (and %d more entries)", bad-1)
	}
	if out.problem == "" {
		return out
	}
	to := fmt.Sprintf("%s.corrupt-%s", path, now.UTC().Format("20060102T150405Z"))
	if err := os.Rename(path, to); err != nil {
		out.problem += fmt.Sprintf("; could not move it aside: %v", err)
	} else {
		out.movedTo = to
	}
	return out
}

// readBanFile reads the ban file at path, refusing one over
// maxBanFileSize.
func readBanFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBanFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBanFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxBanFileSize)
	}
	return data, nil
}

// ban checks e as Server.Ban would and returns it as a Ban.
func (e banFileEntry) ban() (Ban, error) {
	t, err := parseBanTarget(e.Target)
	if err != nil {
		return Ban{}, err
	}
	switch {
	case e.Created.IsZero() || e.Until.IsZero():
		return Ban{}, errors.New("no created or until time")
	case !e.Until.After(e.Created):
		return Ban{}, errors.New("ends before it starts")
	case e.Until.Sub(e.Created) > MaxBanDuration:
		return Ban{}, fmt.Errorf("%w: longer than %v", ErrBanDuration,
			MaxBanDuration)
	case len(e.Reason) > MaxBanReasonLen:
		return Ban{}, fmt.Errorf("%w: %d bytes, at most %d",
			ErrBanReason, len(e.Reason), MaxBanReasonLen)
	}
	return Ban{Target: t.String(), Kind: Banned, Created: e.Created,
		Until: e.Until, Reason: e.Reason}, nil
}

// writeBanFile writes bans, the operator's, to path atomically: a
// temporary file in the same directory, synced, renamed over path, and
// the directory synced.
func writeBanFile(path string, bans []Ban) error {
	f := banFile{Version: banFileVersion, Bans: make([]banFileEntry, 0, len(bans))}
	for _, b := range bans {
		f.Bans = append(f.Bans, banFileEntry{Target: b.Target,
			Created: b.Created.UTC(), Until: b.Until.UTC(),
			Reason: b.Reason})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
