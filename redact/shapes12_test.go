package redact

import (
	"strings"
	"testing"
)

// The twelfth round's shapes (cmd/traceaudit's hunt_real_test.go places
// them in real recordings); each test plants v and asserts it is gone and
// what support reads stays.

// TestStoreShapes12: an SSM SecureString parameter's Value, a Spring Cloud
// Config property source read from Vault, and a Vault answer written as
// YAML lose their values; a String parameter, a classpath source, a KV
// version 2 answer's metadata and the keys of key/value pairs stay.
func TestStoreShapes12(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	for _, tc := range []struct {
		mt, in string
		keep   []string
	}{
		{"application/x-amz-json-1.1", `{"Parameters":[{"Name":"/prod/app/endpoint","Type":"String","Value":"https://api.example","Version":1},` +
			`{"Name":"/prod/app/stripe","Type":"SecureString","Value":"` + v + `","Version":2}]}`,
			[]string{`"Value":"https://api.example"`, `"Name":"/prod/app/stripe"`, `"Type":"SecureString"`, `"Version":2`}},
		{"application/json", `{"name":"app","propertySources":[{"name":"vault:app/prod","source":{"stripe.webhook":"` + v + `"}},` +
			`{"name":"classpath:/application.yml","source":{"server.port":"8080"}}]}`,
			[]string{`"name":"vault:app/prod"`, `"stripe.webhook":`, `"server.port":"8080"`}},
		{"application/x-yaml", "request_id: r-1\nlease_duration: 0\nrenewable: false\ndata:\n  data:\n    db_url: " + v + "\n  metadata:\n    created_time: \"2026-03-04T05:06:07Z\"\n    version: 3\n",
			[]string{"request_id: r-1", "db_url: ", "created_time: \"2026-03-04T05:06:07Z\"", "version: 3"}},
		// A key/value pair's key is its name, not an API key.
		{"application/json", `{"items":[{"key":"Db:Host","value":"db.example"},{"key":"Db:Password","value":"` + v + `"},{"key":"refresh_token","value":"` + v + `"}]}`,
			[]string{`"key":"Db:Host","value":"db.example"`, `"key":"Db:Password"`, `"key":"refresh_token"`}},
	} {
		got := string(r.body(tc.mt, []byte(tc.in)))
		if strings.Contains(got, v) {
			t.Errorf("a secret survived: %s", got)
		}
		for _, k := range tc.keep {
			if !strings.Contains(got, k) {
				t.Errorf("lost %s: %s", k, got)
			}
		}
	}
	// A YAML text of no Vault answer keeps a plain name's value.
	in := "data:\n  db_url: db.example\n"
	if got := string(r.body("application/x-yaml", []byte(in))); got != in {
		t.Errorf("%q changed: %q", in, got)
	}
}
