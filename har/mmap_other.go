//go:build !linux

package har

import (
	"errors"
	"os"
)

// Mapping is only used on Linux; elsewhere the reader reads the file.
func mapFile(*os.File, int) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFile([]byte) {}

func dropPages([]byte) {}

func populatePages([]byte) {}
