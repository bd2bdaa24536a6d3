package har

import (
	"os"
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
