package har

import (
	"os"
	"sync/atomic"
	"syscall"
)

// mapFile maps size bytes of f read-only. Through SyscallConn, not Fd,
// which would change how the file is read afterwards.
func mapFile(f *os.File, size int) ([]byte, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var data []byte
	var merr error
	if err := rc.Control(func(fd uintptr) {
		data, merr = syscall.Mmap(int(fd), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	}); err != nil {
		return nil, err
	}
	return data, merr
}

func unmapFile(data []byte) { syscall.Munmap(data) }

// dropPages gives back the resident pages of a part of a mapping, whole
// pages only; reading them again would read the file again.
func dropPages(b []byte) {
	if len(b) >= pageSize {
		syscall.Madvise(b[:len(b)&^(pageSize-1)], syscall.MADV_DONTNEED)
	}
}

// madvPopulateRead is MADV_POPULATE_READ (Linux 5.14), which the syscall
// package lacks.
const madvPopulateRead = 22

// populateRefused is set once the kernel refuses MADV_POPULATE_READ
// (before 5.14: EINVAL), so that it is asked once, not at every window.
var populateRefused atomic.Bool

// populatePages maps the pages of a part of a mapping that starts at a page
// in one system call, instead of one page fault per 64 KiB read (the
// kernel's fault-around): on a virtual machine whose faults are expensive,
// each is a trap to the hypervisor. Where the kernel refuses, the pages are
// faulted in as they are read, as before; an error past the file's end (it
// shrank) is the reads' to report, as without it.
func populatePages(b []byte) {
	if len(b) == 0 || populateRefused.Load() {
		return
	}
	if err := syscall.Madvise(b, madvPopulateRead); err == syscall.EINVAL {
		populateRefused.Store(true)
	}
}
