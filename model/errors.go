package model

import "fmt"

// Error is a reader error with its position in the source ("entries[12]",
// "session 5", "frame 88", "byte 1024").
type Error struct {
	Ref string
	Err error
}

func (e *Error) Error() string {
	if e.Ref == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s: %v", e.Ref, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
