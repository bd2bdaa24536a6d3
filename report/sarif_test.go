package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var sarifSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	path := filepath.Join("testdata", "sarif-schema-2.1.0.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("sarif-schema-2.1.0.json")
})

// assertValidSARIF validates out against the official SARIF 2.1.0 schema
// (errata 01) vendored in testdata.
func assertValidSARIF(t testing.TB, out []byte) {
	t.Helper()
	sch, err := sarifSchema()
	if err != nil {
		t.Fatalf("loading the SARIF schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("sarif is not JSON: %v", err)
	}
	if err := sch.Validate(doc); err != nil {
		msg := err.Error()
		if ve, ok := err.(*jsonschema.ValidationError); ok {
			msg = ""
			for _, u := range ve.BasicOutput().Errors {
				msg += fmt.Sprintf("\n  %s: %s", u.InstanceLocation, u.KeywordLocation)
			}
		}
		t.Errorf("sarif does not validate against the 2.1.0 schema:%s", msg)
	}
}
