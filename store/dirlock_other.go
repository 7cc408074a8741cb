//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

// lockDir is a no-op where flock is unavailable; badger.Open still locks
// the dir, but checkDir runs unprotected before it.
func lockDir(dir string) (unlock func(), err error) {
	return func() {}, nil
}
