// Package hugebss asks Linux to back the program's zero-initialised data
// (its bss) with transparent huge pages before other packages' init
// functions write to it.
//
// gopacket/layers fills ~7 MB of 65,536-entry tables in its init: in 4 KiB
// pages that is ~1,800 page faults, ~2 ms of every traceaudit start, a
// twentieth of a small capture's scan. Where transparent huge pages are in
// "madvise" mode (the kernel's default and many distributions'), advising the
// bss turns them into a few 2 MiB faults. The one 2 MiB page the runtime
// already wrote to before this init (its own variables beside the tables) is
// collapsed into a huge page at once (MADV_COLLAPSE): the advice alone would
// leave its ~500 faults small. The bss's head, before its first 2 MiB
// boundary, shares that 2 MiB with the executable's data and stays small: it
// is backed in one call instead (see populateHead). Where the mode is
// "never", or anything here fails, the pages stay small and nothing else
// changes.
//
// The heap's first 4 MiB are advised the same way at init, and AdviseHeap
// and StopHeap give a trace command's heap huge pages until its first
// collection (see AdviseHeap).
//
// This only helps if it runs before layers' init. Go initialises, among the
// packages whose imports are initialised, the first by import path; this
// package imports only syscall, so it is ready as soon as syscall
// is, long before layers (which needs fmt, reflect and more). The package's
// test checks the order in the built command.
package hugebss

import (
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

func init() {
	adviseBSS()
	adviseHeapSoFar()
}

const hugePage = 2 << 20

// adviseBSS finds the bss (bssMapping) and advises its 2 MiB-aligned
// interior. The bss's untouched parts (crypto's 32 MiB FIPS DRBG buffer among
// them) stay unbacked: huge pages, like small ones, are faulted in on first
// touch.
func adviseBSS() {
	lo, hi, ok := bssMapping()
	if !ok {
		return
	}
	begin := (lo + hugePage - 1) &^ (hugePage - 1)
	end := hi &^ (hugePage - 1)
	if begin < end {
		// By address, as the kernel takes it (a slice over memory Go does
		// not own would need unsafe). An error is ignored on purpose: small
		// pages are the fallback.
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, begin, end-begin, syscall.MADV_HUGEPAGE)
		collapseTouched(begin, end)
	}
	populateHead(lo, min(begin, hi))
}

// bssMapping finds the bss in /proc/self/maps: the mapping after the
// executable's own, when it is anonymous and writable.
func bssMapping() (lo, hi uintptr, ok bool) {
	var buf [16 << 10]byte
	maps := readMaps(buf[:])
	sawExecutable := false
	for len(maps) > 0 {
		var line []byte
		line, maps = cutLine(maps)
		lo, hi, perm, path, ok := parseMapsLine(line)
		if !ok {
			return 0, 0, false
		}
		if len(path) > 0 && path[0] == '/' {
			sawExecutable = true
			continue
		}
		if !sawExecutable {
			continue
		}
		// The first mapping after the executable's is the bss, or there is
		// none to advise.
		return lo, hi, len(path) == 0 && perm == "rw-p"
	}
	return 0, 0, false
}

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14).
const madvPopulateWrite = 23

// populateHead backs the bss's head, [lo, end) before its first 2 MiB
// boundary, in one call. That 2 MiB page is shared with the executable's
// data mapping, so it can never be a huge page, and where the linker puts
// gopacket's tables depends on everything linked before them: a change of
// the binary's size moved up to 1.7 MiB of them there (a round's brotli
// encoder: `version` 430 → 840 page faults, 2-4 ms of CPU on a
// paravirtualised VM, where each fault traps). Backing the head at once
// costs the faults' page allocations without their traps; the head's other
// variables (~320 KiB) count in RSS even if never written. An error leaves
// the faults to come, as before.
func populateHead(lo, end uintptr) {
	if lo < end {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, end-lo, madvPopulateWrite)
	}
}

// madvCollapse is MADV_COLLAPSE (Linux 6.1), which the syscall package lacks.
const madvCollapse = 25

// collapseTouched turns each 2 MiB page of [begin, end) (2 MiB-aligned) that
// already holds small pages into one huge page. The advice only shapes the
// faults to come: where the runtime wrote before this package's init (its
// variables in the noptrbss share a 2 MiB page with gopacket's tables), the
// page table already exists, and every later fault of that 2 MiB page, ~500
// of them, would stay small. A 2 MiB page nothing touched is left alone
// (collapsing it would back it, and the kernel refuses an empty one anyway);
// on a kernel without MADV_COLLAPSE, or one that refuses it, the small pages
// stay, as before.
func collapseTouched(begin, end uintptr) {
	// One byte per 4 KiB page: mincore says which are backed, 8 huge pages
	// per call.
	var vec [8 * hugePage / 4096]byte
	for at := begin; at < end; at += 8 * hugePage {
		n := min(end-at, 8*hugePage)
		if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, at, n, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
			return
		}
		for h := uintptr(0); h < n; h += hugePage {
			if anyBacked(vec[h/4096 : (h+hugePage)/4096]) {
				_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, at+h, hugePage, madvCollapse)
			}
		}
	}
}

func anyBacked(vec []byte) bool {
	for _, b := range vec {
		if b&1 != 0 {
			return true
		}
	}
	return false
}

// readMaps reads the start of /proc/self/maps into buf. The executable's
// mappings and its bss are the first lines, so a truncated read is enough.
func readMaps(buf []byte) []byte {
	fd, err := syscall.Open("/proc/self/maps", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if m <= 0 || err != nil {
			break
		}
		n += m
	}
	return buf[:n]
}

func cutLine(b []byte) (line, rest []byte) {
	for i, c := range b {
		if c == '\n' {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

// parseMapsLine reads "lo-hi perms offset dev inode path" (path may be
// empty). A line cut short by readMaps' buffer is not ok.
func parseMapsLine(line []byte) (lo, hi uintptr, perm string, path []byte, ok bool) {
	fields := make([][]byte, 0, 6)
	for len(fields) < 5 {
		for len(line) > 0 && line[0] == ' ' {
			line = line[1:]
		}
		i := 0
		for i < len(line) && line[i] != ' ' {
			i++
		}
		if i == 0 {
			return 0, 0, "", nil, false
		}
		fields = append(fields, line[:i])
		line = line[i:]
	}
	for len(line) > 0 && line[0] == ' ' {
		line = line[1:]
	}
	dash := -1
	for i, c := range fields[0] {
		if c == '-' {
			dash = i
			break
		}
	}
	if dash < 0 || len(fields[1]) != 4 {
		return 0, 0, "", nil, false
	}
	lo, ok1 := parseHex(fields[0][:dash])
	hi, ok2 := parseHex(fields[0][dash+1:])
	if !ok1 || !ok2 || hi <= lo {
		return 0, 0, "", nil, false
	}
	return lo, hi, string(fields[1]), line, true
}

func parseHex(b []byte) (uintptr, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uintptr
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uintptr(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uintptr(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// heapReserve is how much heap AdviseHeap has the runtime map at once: more
// than the heap of a trace command grows to before its first collection
// (cmd/traceaudit's firstCollectionAt), when StopHeap ends the advice.
const heapReserve = 32 << 20

// adviseHeapSoFar advises the heap the runtime mapped before this init (its
// first 4 MiB) and collapses what the runtime already wrote to, so that the
// other packages' init functions (gopacket's and x/net's maps, tablewriter's
// width cache) fault in 2 MiB pages.
func adviseHeapSoFar() {
	p := new([16]byte)
	soFarBegin, soFarEnd = adviseMappings(uintptr(unsafe.Pointer(p)), 1)
}

var (
	soFarBegin, soFarEnd uintptr // what adviseHeapSoFar advised
	heapOnce             sync.Once
	heapBegin, heapEnd   uintptr // what AdviseHeap advised
	heapStopped          atomic.Bool
)

// AdviseHeap has the runtime map heapReserve bytes of heap at once and
// advises the heap's mapping for huge pages, so that the heap grows into 2
// MiB pages instead of 4 KiB ones, until StopHeap. On a virtual machine whose
// page faults are expensive (a paravirtualised kernel, ~15 µs a fault) a
// trace command spent a third of its time in the kernel, most of it faulting
// in the heap; in huge pages that is one fault per 2 MiB.
//
// Go maps its heap in new mappings as it grows (each without the advice) and
// offers no hook at a growth: one large allocation, never written (fresh
// memory is known zero, so the runtime writes none of it), grows the heap's
// mapping by heapReserve in one step; the advice then covers what the heap
// grows into. The allocation is made with the collector off, so that no
// collection starts while it is referenced, and dropped; freeOSMemory
// (runtime/debug.FreeOSMemory, which this package cannot import: see the
// package comment, as for setGCPercent) collects it and returns its pages,
// none of them backed, so that the runtime does not count them as held (a
// memory limit would see them). That collection, of the little the process
// holds at its start, is the price: ~1-2 ms of CPU.
//
// Once per process: later calls do nothing.
func AdviseHeap(setGCPercent func(int) int, freeOSMemory func()) {
	heapOnce.Do(func() {
		old := setGCPercent(-1)
		p := mapHeap()
		setGCPercent(old)
		freeOSMemory()
		// After returning the pages: the runtime returns the free ones
		// between those in use piecemeal, which splits the 2 MiB pages
		// collapseTouched made (adviseHeapSoFar's: made again).
		heapBegin, heapEnd = adviseMappings(p, heapReserve)
		collapseTouched(soFarBegin, soFarEnd)
	})
}

// StopHeap ends AdviseHeap's advice: from then on the heap grows into small
// pages again, and the kernel's khugepaged no longer gathers its small pages
// into huge ones. A huge page counts whole in the resident set however
// little of it is used; once the heap is large, the runtime returns freed
// pages to the system piecemeal (to stay within a memory limit) and takes
// them back, and in huge pages each taking back would count 2 MiB: the
// 13,000-connection capture's peak went from 60 to 64-72 MiB of RSS with the
// advice kept for the whole run. Huge pages already faulted in stay.
func StopHeap() {
	if heapEnd > heapBegin && !heapStopped.Swap(true) {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, heapBegin, heapEnd-heapBegin, syscall.MADV_NOHUGEPAGE)
	}
}

// mapHeap allocates heapReserve bytes and returns their address, which keeps
// nothing alive.
//
//go:noinline
func mapHeap() uintptr {
	b := make([]byte, heapReserve)
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))
}

// adviseMappings advises the 2 MiB-aligned interior of the anonymous
// writable mappings holding p and p+n-1 and of those between (the heap's
// mappings made at different times, which the kernel keeps apart when only
// some were advised), collapses their 2 MiB pages already written to, and
// returns what it advised (begin == end when nothing).
func adviseMappings(p, n uintptr) (begin, end uintptr) {
	var buf [16 << 10]byte
	maps := readMaps(buf[:])
	for len(maps) > 0 {
		var line []byte
		line, maps = cutLine(maps)
		lo, hi, perm, path, ok := parseMapsLine(line)
		if !ok || lo >= p+n {
			break
		}
		if hi <= p {
			continue
		}
		if len(path) != 0 || perm != "rw-p" || (end != 0 && lo != end) {
			return 0, 0
		}
		if begin == 0 {
			begin = lo
		}
		end = hi
	}
	if end < p+n {
		return 0, 0
	}
	begin = (begin + hugePage - 1) &^ (hugePage - 1)
	end &^= hugePage - 1
	if begin >= end {
		return 0, 0
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, begin, end-begin, syscall.MADV_HUGEPAGE)
	collapseTouched(begin, end)
	return begin, end
}
