// Package archtest holds no code, only the tests that keep the package
// layering true (issue #15): readers never import each other, rules or
// report; rules read only the model; report imports no reader; and nothing
// below package main prints, logs or exits. The tests read `go list`, so
// a cached pass does not see a package added since: CI runs them fresh.
package archtest
