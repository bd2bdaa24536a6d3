package hugebss

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// ballast gives this test binary a bss with a 2 MiB-aligned interior, as
// traceaudit's has (gopacket/layers' tables).
var ballast [6 << 20]byte

func TestParseMapsLine(t *testing.T) {
	cases := []struct {
		line   string
		lo, hi uintptr
		perm   string
		path   string
		wantOK bool
	}{
		{"00400000-004ab000 r-xp 00000000 fe:00 10003131                           /usr/bin/traceaudit", 0x400000, 0x4ab000, "r-xp", "/usr/bin/traceaudit", true},
		{"00599000-005cf000 rw-p 00000000 00:00 0 ", 0x599000, 0x5cf000, "rw-p", "", true},
		{"00599000-005cf000 rw-p 00000000 00:00 0", 0x599000, 0x5cf000, "rw-p", "", true},
		{"7ffd1a2b3000-7ffd1a2d4000 rw-p 00000000 00:00 0                          [stack]", 0x7ffd1a2b3000, 0x7ffd1a2d4000, "rw-p", "[stack]", true},
		{"00400000-004ab000 r-xp 00000000 fe:00 1 /opt/my tools/traceaudit", 0x400000, 0x4ab000, "r-xp", "/opt/my tools/traceaudit", true},
		{"00400000-004ab000 r-xp 0000", 0, 0, "", "", false},                // cut by the read buffer
		{"004ab000-00400000 r-xp 00000000 fe:00 1 /x", 0, 0, "", "", false}, // end before start
		{"0040zz00-004ab000 r-xp 00000000 fe:00 1 /x", 0, 0, "", "", false},
		{"", 0, 0, "", "", false},
	}
	for _, c := range cases {
		lo, hi, perm, path, ok := parseMapsLine([]byte(c.line))
		if ok != c.wantOK || lo != c.lo || hi != c.hi || perm != c.perm || string(path) != c.path {
			t.Errorf("parseMapsLine(%q) = %#x, %#x, %q, %q, %v; want %#x, %#x, %q, %q, %v",
				c.line, lo, hi, perm, path, ok, c.lo, c.hi, c.perm, c.path, c.wantOK)
		}
	}
}

// TestBSSAdvised checks that init advised the mapping holding the bss:
// /proc/self/smaps lists it with the "hg" (MADV_HUGEPAGE) flag.
func TestBSSAdvised(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skipf("a kernel without transparent huge pages refuses the advice: %v", err)
	}
	addr := uintptr(unsafe.Pointer(&ballast[len(ballast)/2]))
	var found bool
	for _, line := range smapsLines(t, addr) {
		if strings.HasPrefix(line, "VmFlags:") {
			found = true
			if !strings.Contains(line, " hg") {
				t.Errorf("the bss mapping around the ballast is not advised for huge pages: %s", line)
			}
			break
		}
	}
	if !found {
		t.Fatalf("no mapping of /proc/self/smaps holds the ballast at %#x", addr)
	}
	runtime.KeepAlive(&ballast)
}

// TestInitOrder checks, in the built command, that this package's init runs
// before gopacket/layers': after it, advising the bss would be too late.
func TestInitOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/traceaudit")
	}
	bin := filepath.Join(t.TempDir(), "traceaudit")
	build := exec.Command("go", "build", "-o", bin, "github.com/traceaudit/traceaudit/cmd/traceaudit")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("traceaudit version: %v\n%s", err, stderr.Bytes())
	}
	order := map[string]int{}
	for i, line := range strings.Split(stderr.String(), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			if _, seen := order[f[1]]; !seen {
				order[f[1]] = i
			}
		}
	}
	ours, ok1 := order["github.com/traceaudit/traceaudit/internal/hugebss"]
	layers, ok2 := order["github.com/google/gopacket/layers"]
	if !ok1 || !ok2 {
		t.Fatalf("inittrace lacks hugebss (%v) or gopacket/layers (%v):\n%s", ok1, ok2, stderr.Bytes())
	}
	if ours > layers {
		t.Errorf("hugebss initialises after gopacket/layers (lines %d, %d of the init trace)", ours, layers)
	}
}

// TestCollapseTouched checks that a 2 MiB page already holding a small page
// becomes one huge page and that an untouched one stays unbacked.
func TestCollapseTouched(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skipf("a kernel without transparent huge pages: %v", err)
	}
	m, err := syscall.Mmap(-1, 0, 3*hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	base := uintptr(unsafe.Pointer(&m[0]))
	begin := (base + hugePage - 1) &^ (hugePage - 1)
	region := m[begin-base : begin-base+2*hugePage]
	if err := syscall.Madvise(region, syscall.MADV_HUGEPAGE); err != nil {
		t.Skipf("MADV_HUGEPAGE refused: %v", err)
	}
	// Touch one small page in the first 2 MiB with the advice off, as the
	// runtime's writes before init are: the first huge page is then made of
	// small ones.
	if err := syscall.Madvise(region[:hugePage], syscall.MADV_NOHUGEPAGE); err != nil {
		t.Fatal(err)
	}
	region[4096] = 1
	if err := syscall.Madvise(region[:hugePage], syscall.MADV_HUGEPAGE); err != nil {
		t.Fatal(err)
	}
	collapseTouched(begin, begin+2*hugePage)
	rss, huge := smapsOf(t, begin)
	if huge == 0 {
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, begin, hugePage, madvCollapse); e == syscall.EINVAL || e == syscall.EPERM || e == syscall.EAGAIN {
			t.Skipf("the kernel refuses MADV_COLLAPSE: %v", e)
		}
		t.Fatalf("the touched 2 MiB page was not collapsed: Rss %d kB, AnonHugePages %d kB", rss, huge)
	}
	if rss != 2048 || huge != 2048 || region[4096] != 1 {
		t.Errorf("after collapsing: Rss %d kB, AnonHugePages %d kB, byte %d; want 2048, 2048 (the untouched 2 MiB unbacked), 1",
			rss, huge, region[4096])
	}
}

// smapsOf returns the Rss and AnonHugePages, in kB, of the mapping holding addr.
func smapsOf(t *testing.T, addr uintptr) (rss, huge int) {
	t.Helper()
	for _, line := range smapsLines(t, addr) {
		var n int
		if _, err := fmt.Sscanf(line, "Rss: %d kB", &n); err == nil {
			rss = n
		}
		if _, err := fmt.Sscanf(line, "AnonHugePages: %d kB", &n); err == nil {
			huge = n
		}
	}
	return rss, huge
}

// smapsLines returns the lines /proc/self/smaps gives about the mapping
// holding addr (its fields, without the mapping's own line), none if no
// mapping holds it.
func smapsLines(t *testing.T, addr uintptr) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatalf("reading smaps: %v", err)
	}
	var lines []string
	var inRange bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, _, _, ok := parseMapsLine([]byte(line)); ok {
			inRange = lo <= addr && addr < hi
			continue
		}
		if inRange {
			lines = append(lines, line)
		}
	}
	return lines
}

// TestHeadPopulated: the bss's head, before its first 2 MiB boundary, is
// backed from this package's init on, every page of it (mincore), so the
// tables the linker put there fault no more; the head of a scratch
// mapping is backed by populateHead alone.
func TestHeadPopulated(t *testing.T) {
	m, err := syscall.Mmap(-1, 0, 1<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(m)
	if err := syscall.Madvise(m[:4096], madvPopulateWrite); err != nil {
		t.Skipf("the kernel refuses MADV_POPULATE_WRITE (Linux 5.14): %v", err)
	}
	base := uintptr(unsafe.Pointer(&m[0]))
	populateHead(base, base+uintptr(len(m)))
	if n := residentPages(t, base, base+uintptr(len(m))); n != len(m)/4096 {
		t.Errorf("populateHead backed %d of %d pages", n, len(m)/4096)
	}

	lo, hi, ok := bssMapping()
	if !ok {
		t.Fatal("no bss mapping after the executable's in /proc/self/maps")
	}
	end := min((lo+hugePage-1)&^(hugePage-1), hi)
	if end == lo {
		t.Skipf("this binary's bss begins on a 2 MiB boundary: no head")
	}
	if n := residentPages(t, lo, end); n != int(end-lo)/4096 {
		t.Errorf("the bss's head [%#x, %#x): %d of %d pages backed", lo, end, n, (end-lo)/4096)
	}
}

// residentPages counts the pages of [lo, hi) mincore says are backed.
func residentPages(t *testing.T, lo, hi uintptr) int {
	t.Helper()
	vec := make([]byte, (hi-lo+4095)/4096)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, lo, hi-lo, uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatalf("mincore: %v", e)
	}
	n := 0
	for _, b := range vec {
		n += int(b & 1)
	}
	return n
}
