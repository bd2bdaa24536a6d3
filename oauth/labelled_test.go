package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestLabelledErrorPage: oidc-provider's page for an authorize error it
// cannot send back to the app (the lab's recording: an unregistered
// redirect_uri) labels each parameter. Its error is invalid_redirect_uri,
// no standard name, and the description is the one line, not the page.
func TestLabelledErrorPage(t *testing.T) {
	var page []byte
	for _, ex := range readHAR(t, "../testdata/lab/scenarios/redirect-uri-mismatch-authorize-oidcprovider/trace.har") {
		if ex.Response != nil && ex.Response.Status == 400 && strings.Contains(ex.Request.URL, "/auth?") {
			page = ex.Response.Body.Data
		}
	}
	if page == nil {
		t.Fatal("no 400 answer to the authorize request in the recording")
	}
	const desc = "redirect_uri did not match any of the client's registered redirect_uris"
	for _, tt := range []struct {
		name string
		page string
		want *model.ProviderError
	}{
		{"recorded", string(page), &model.ProviderError{Error: "invalid_redirect_uri", Description: desc}},
		{"inline", "<html><body><p>error: invalid_client</p><p>error_description: client is invalid</p></body></html>",
			&model.ProviderError{Error: "invalid_client", Description: "client is invalid"}},
		{"colon in the label", "<dl><dt>error:</dt><dd>access_denied</dd><dt>error_description:</dt><dd>no</dd></dl>",
			&model.ProviderError{Error: "access_denied", Description: "no"}},
		// not an error name: a sentence after the label
		{"prose", "<p>error: Something went wrong</p><p>error_description: x</p>", nil},
		// no error_description label: not such a page
		{"no description label", "<p>error: invalid_client</p>", nil},
		// the label without its colon, then text that does not start with one
		{"no colon", "<p>error</p><p>invalid_client</p><p>error_description</p>", nil},
	} {
		got := labelledErrorPage([]byte(tt.page))
		switch {
		case tt.want == nil && got != nil:
			t.Errorf("%s: got %+v, want none", tt.name, got)
		case tt.want != nil && (got == nil || got.Error != tt.want.Error || got.Description != tt.want.Description):
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	// Through the extractor: the authorize error event carries them.
	pe := pageError(page, model.Provider{Family: model.FamilyGeneric})
	if pe == nil || pe.Error != "invalid_redirect_uri" || pe.Description != desc {
		t.Errorf("pageError = %+v", pe)
	}
}
