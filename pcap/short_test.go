package pcap

import "testing"

// shortSample is files, or under -short every sixth of them. CI's race step
// passes -short: the tests that read every capture of testdata several ways
// and compare the readings are slowed several times over by the race
// detector, which finds a data race in one pass over a path; the plain test
// step, without -short, still reads every file.
func shortSample(files []string) []string {
	if !testing.Short() {
		return files
	}
	var out []string
	for i, f := range files {
		if i%6 == 0 {
			out = append(out, f)
		}
	}
	return out
}
