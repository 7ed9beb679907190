//go:build !linux

package correlate

// hugePages is a no-op where Linux's transparent huge pages do not exist.
func hugePages[T any](s []T) {}
