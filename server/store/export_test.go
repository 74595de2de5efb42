package store

import "time"

// ParseSecret exposes parseSecret to the fuzz target.
var ParseSecret = parseSecret

// SecretLen is the length of every well-formed secret.
const SecretLen = secretLen

// SetLockTimeout shortens Open's wait for a locked file, for tests; the
// returned func restores it.
func SetLockTimeout(d time.Duration) (restore func()) {
	old := lockTimeout
	lockTimeout = d
	return func() { lockTimeout = old }
}
