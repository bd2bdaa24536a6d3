package har

import "testing"

// shortEntries is n, or under -short a third of it: the entries of a
// document a test generates. CI's race step passes -short: generating and
// reading these documents is several times slower under the race detector,
// which finds a data race between the framing goroutine and the decoder in
// one pass over the path (a third of the entries still cross many read
// buffers); the plain test step, without -short, reads them whole.
func shortEntries(n int) int {
	if testing.Short() {
		return max(n/3, 1)
	}
	return n
}
