package rules_test

import (
	"bytes"
	"encoding/json"
	"os"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules/rulestest"
)

// loadHAR is the rules tests' fixture loader: the real HAR reader, and the
// log's comment for wants without evidence.
func loadHAR(path string) ([]*model.Exchange, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	r, err := har.NewReader(bytes.NewReader(data), har.Options{Name: path})
	if err != nil {
		return nil, "", err
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		return nil, "", err
	}
	var log struct {
		Log struct {
			Comment string `json:"comment"`
		} `json:"log"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		return nil, "", err
	}
	return exs, log.Log.Comment, nil
}

// fixture loads one HAR fixture with its wants.
func fixture(path string) (*rulestest.Fixture, error) { return rulestest.Load(loadHAR, path) }
