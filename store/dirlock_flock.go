//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes the same exclusive flock on dir that badger takes, so that
// Open inspects and tidies the dir (checkDir) only while no other process
// has it open. The caller releases it again before badger.Open, which then
// takes its own lock.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, wrapError(ErrCorrupt, fmt.Sprintf("cannot open data "+
			"dir %q", dir), err)
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, wrapError(ErrLocked, fmt.Sprintf("data dir "+
				"%q is in use by another process", dir), err)
		}
		return nil, wrapError(ErrCorrupt, fmt.Sprintf("cannot lock "+
			"data dir %q", dir), err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
