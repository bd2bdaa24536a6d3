package rules

import (
	"fmt"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// RequestLoop: AADSTS50196 or the same sign-in repeated in a tight loop.
var RequestLoop = &Rule{
	ID:       "request-loop",
	Title:    "sign-in or token requests repeated in a loop",
	Severity: Warning,
	Doc: `Detects Entra's loop protection (AADSTS50196 "The server terminated an operation
because it encountered a client request loop") and the loop itself: five or more
authorize requests for one client and redirect URI, or five or more token
requests for one client and grant, within 60 seconds — typically an app that
does not cache tokens, whose silent lookup always misses (requested scopes not
returned), or whose redirect page starts a new login.

Remediation: cache and reuse tokens, try silent acquisition before interactive,
never retry authentication errors in a tight loop; back off and prompt once.`,
	Run: runRequestLoop,
}

const (
	loopCount  = 5
	loopWindow = 60 * time.Second
)

const loopRemediation = "Cache and reuse tokens, call silent acquisition before interactive, never retry auth errors in a tight loop; back off and prompt once."

func runRequestLoop(p *Pass) {
	// Provider-detected loops.
	var detected []*model.Event
	for ev := range p.events() {
		if ev.Err != nil && classOf(ev) == catalog.ClassLoop {
			detected = append(detected, ev)
		}
	}
	sortEvents(detected)
	for _, ev := range detected {
		p.Report(Finding{Severity: Error,
			Message:     fmt.Sprintf("%s stopped a client request loop at %s (%s)", model.ProviderName(ev.Provider()), ev.Ref, catalog.PrimaryCode(ev.Err)),
			Evidence:    []Evidence{p.Evidence(ev, "loop detected by the provider")},
			Remediation: loopRemediation})
	}
	if len(detected) > 0 {
		return
	}
	// Loops visible in the traffic.
	groups := map[string][]*model.Event{}
	var keys []string
	add := func(key string, ev *model.Event) {
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], ev)
	}
	for _, t := range p.Transactions {
		if t.Authorize != nil {
			add("authorize|"+t.Authorize.ClientID()+"|"+t.Authorize.RedirectURI()+"|"+t.Authorize.Scope()+"|"+t.Authorize.Resource(), t.Authorize)
		}
	}
	for _, r := range allTokenRequests(p.Analysis) {
		if pollPending(r) {
			continue
		}
		add("token|"+r.Request.ClientID()+"|"+r.Request.GrantType()+"|"+r.Request.Scope(), r.Request)
	}
	for _, k := range keys {
		evs := groups[k]
		sortEvents(evs)
		for i := 0; i+loopCount <= len(evs); i++ {
			d, _, ok := Elapsed(evs[i], evs[i+loopCount-1])
			if !ok || d > loopWindow {
				continue
			}
			j := i + loopCount
			for j < len(evs) {
				if d2, _, ok := Elapsed(evs[i], evs[j]); ok && d2 <= loopWindow {
					j++
					continue
				}
				break
			}
			run := evs[i:j]
			if d2, _, ok := Elapsed(run[0], run[len(run)-1]); ok {
				d = d2
			}
			what := "authorize requests"
			if run[0].Kind == model.TokenRequest {
				what = "token requests (grant " + run[0].GrantType() + ")"
			}
			f := Finding{Remediation: loopRemediation,
				Message: fmt.Sprintf("%d %s for client %s within %s (%s to %s): the app is looping instead of reusing tokens",
					len(run), what, orUnknownClient(run[0].ClientID()), fmtDuration(d), run[0].Ref, run[len(run)-1].Ref)}
			for _, ev := range []*model.Event{run[0], run[1], run[len(run)-1]} {
				f.Evidence = append(f.Evidence, p.Evidence(ev, "repeated request"))
			}
			p.Report(f)
			break
		}
	}
}
