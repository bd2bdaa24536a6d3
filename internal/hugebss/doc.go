//go:build !linux

// Package hugebss asks Linux to back the program's bss with transparent huge
// pages before other packages' init functions write to it; elsewhere it does
// nothing. See hugebss_linux.go.
package hugebss

// AdviseHeap does nothing here.
func AdviseHeap(setGCPercent func(int) int, freeOSMemory func()) {}

// StopHeap does nothing here.
func StopHeap() {}
