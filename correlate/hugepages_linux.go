package correlate

import (
	"syscall"
	"unsafe"
)

// hugePages asks Linux to back a large table with transparent huge pages (where the system allows them only
// on request: /sys/kernel/mm/transparent_hugepage/enabled is "madvise"). The symbol table is read at random,
// a slot per lookup; with 4 KiB pages nearly every lookup also misses the TLB. A refusal changes nothing.
func hugePages[T any](s []T) {
	if len(s) == 0 {
		return
	}
	const page = 2 << 20
	n := uintptr(len(s)) * unsafe.Sizeof(s[0])
	if n < 2*page {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), n)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (page - start%page) % page // the first 2 MiB boundary inside b
	hi := lo + (n-lo)&^(page-1)
	if hi <= lo {
		return
	}
	_ = syscall.Madvise(b[lo:hi], 14 /* MADV_HUGEPAGE */)
}
