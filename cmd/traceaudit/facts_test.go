package main

import (
	"slices"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// TestFacts: the facts block takes the provider of the authorize request,
// every client ID once, the browser's user agent, the time range, the ids
// of the provider's errors, and the app's name when an error names it.
func TestFacts(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	entra := model.Provider{Family: model.FamilyEntra, Variant: "v2", Cloud: "global", Tenant: "contoso.onmicrosoft.com", Host: "login.microsoftonline.com"}
	evs := []model.Event{
		{Kind: model.AuthorizeRequest, Time: t0, Prov: &entra, Target: &model.Target{ClientID: "c1"}, Context: model.NewContext(model.RequestContext{UserAgent: "Mozilla/5.0 Edg/140", RequestID: "r1"})},
		{Kind: model.Callback, Time: t0.Add(time.Second), Prov: &model.Provider{Family: model.FamilyApp}},
		{Kind: model.TokenResponse, Time: t0.Add(2 * time.Second), Prov: &entra, Err: &model.ProviderError{
			Error: "invalid_grant", TraceID: "t1", Correlation: "k1",
			Description: "AADSTS65001: The user or administrator has not consented to use the application with ID 'c1' named 'Contoso HR'."}},
	}
	fc := facts((&fileResult{events: evs}).eachEvent(), false)
	if fc == nil || fc.Family != "entra" || fc.Tenant != "contoso.onmicrosoft.com" || !slices.Equal(fc.ClientIDs, []string{"c1"}) ||
		fc.UserAgent != "Mozilla/5.0 Edg/140" || !fc.Start.Equal(t0) || !fc.End.Equal(t0.Add(2*time.Second)) ||
		!slices.Equal(fc.RequestIDs, []string{"r1"}) || !slices.Equal(fc.TraceIDs, []string{"t1"}) ||
		!slices.Equal(fc.CorrelationIDs, []string{"k1"}) || fc.AppName != "Contoso HR" {
		t.Errorf("facts = %+v", fc)
	}
	if facts((&fileResult{}).eachEvent(), false) != nil {
		t.Error("facts of a trace without events")
	}
}
