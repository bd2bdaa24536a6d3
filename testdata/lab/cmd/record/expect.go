package main

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// allRules are the rule IDs an expectation speaks about.
var allRules = []string{"code-reuse", "redirect-uri-mismatch", "code-expired", "multi-tab-race", "pkce-mismatch",
	"pkce-missing", "state-mismatch", "refresh-token-expired", "client-auth-failed", "spa-cross-origin", "interaction-required"}

// laterRules joined allRules after scenarios were recorded without them:
// an older expect.json may leave them out of must_not.
var laterRules = []string{"spa-cross-origin", "interaction-required"}

// observation is one OAuth step seen in the traces, with where to find it.
type observation struct {
	Kind    string `json:"kind"` // authorize, code-issued, callback, token-request
	Channel string `json:"channel"`
	Tab     string `json:"tab,omitempty"`
	HAR     string `json:"har,omitempty"`  // entries[N] in trace.har
	PCAP    string `json:"pcap,omitempty"` // frame N in capture.pcap / capture-dsb.pcapng
	// ServerPCAP is frame N in capture-server.pcap / capture-server-dsb.pcapng
	// (scenarios with a server-side capture).
	ServerPCAP string `json:"server_pcap,omitempty"`
	// Pushed is "back-channel" for an authorize request whose parameters
	// the server app pushed (PAR): the HAR, which lacks the back channel,
	// shows them by reference only.
	Pushed      string    `json:"pushed,omitempty"`
	Time        time.Time `json:"time"`
	Method      string    `json:"method"`
	URL         string    `json:"url"` // secrets in the query replaced by fingerprints
	Status      int       `json:"status,omitempty"`
	Grant       string    `json:"grant_type,omitempty"`
	Code        string    `json:"code,omitempty"`
	Refresh     string    `json:"refresh_token,omitempty"`
	Verifier    string    `json:"code_verifier,omitempty"`
	Challenge   string    `json:"code_challenge,omitempty"`
	State       string    `json:"state,omitempty"`
	RedirectURI string    `json:"redirect_uri,omitempty"`
	Error       string    `json:"error,omitempty"`
	Description string    `json:"error_description,omitempty"`
	Handler     string    `json:"rp_handler,omitempty"`
	// BrowserError is Chrome's failure text for a request that got no
	// response the page could read (HAR _error), e.g. a CORS block.
	BrowserError string `json:"browser_error,omitempty"`
	// AccessToken is the fingerprint of the bearer token of an api-call.
	AccessToken string `json:"access_token,omitempty"`
	// Prompt, SecFetchDest and CookiesSent (names only) of an authorize
	// request: a silent renewal is prompt=none in a frame (iframe).
	Prompt       string   `json:"prompt,omitempty"`
	SecFetchDest string   `json:"sec_fetch_dest,omitempty"`
	CookiesSent  []string `json:"cookies_sent,omitempty"`
	// SetsCookies are the names of the cookies the answer set.
	SetsCookies []string `json:"sets_cookies,omitempty"`

	rawCode, rawVerifier, rawRefresh, path string
}

type evidence struct {
	Kind         string `json:"kind"`
	BrowserError string `json:"browser_error,omitempty"`
	Channel      string `json:"channel"`
	Handler      string `json:"rp_handler,omitempty"`
	HAR          string `json:"har,omitempty"`
	PCAP         string `json:"pcap,omitempty"`
	ServerPCAP   string `json:"server_pcap,omitempty"`
	Status       int    `json:"status,omitempty"`
	Error        string `json:"error,omitempty"`
	Description  string `json:"error_description,omitempty"`
}

type finding struct {
	Rule         string     `json:"rule"`
	Code         string     `json:"code,omitempty"`
	RefreshToken string     `json:"refresh_token,omitempty"`
	Evidence     []evidence `json:"evidence"`
	DerivedFrom  string     `json:"derived_from"`
	Detail       any        `json:"detail,omitempty"`
	// Mechanism is how the story happened, in the words a correct finding
	// should use (reload, double-handler, multi-tab, short-lifetime, ...).
	Mechanism string `json:"mechanism,omitempty"`
}

type expectation struct {
	Schema   int    `json:"schema"`
	Scenario string `json:"scenario"`
	// Pending names the rule work these expectations wait for; the main
	// module's lab tests skip the scenario, saying so.
	Pending     string            `json:"pending,omitempty"`
	PendingSAZ  string            `json:"pending_saz,omitempty"`
	Summary     string            `json:"summary"`
	RecordedAt  string            `json:"recorded_at"`
	Provider    map[string]any    `json:"provider"`
	RP          map[string]any    `json:"relying_party"`
	Browser     string            `json:"browser"`
	Versions    map[string]string `json:"versions"`
	Findings    []finding         `json:"findings"`
	MustNot     []string          `json:"must_not"`
	May         []string          `json:"may"`
	Events      []observation     `json:"events"`
	ProviderLog []string          `json:"provider_log,omitempty"`
	// ProxyLog is nginx's access log (proxy scenarios): which instance
	// got each request, and the retries.
	ProxyLog []string `json:"proxy_log,omitempty"`
	// Case is the expectation for all the scenario's traces read as one
	// incident (scan --case), when it has a server-side capture.
	Case  *caseSpec `json:"case,omitempty"`
	Notes []string  `json:"notes,omitempty"`
}

func redactQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q := u.Query()
	for _, k := range []string{"code", "code_verifier", "refresh_token", "access_token", "id_token", "client_secret"} {
		if v := q.Get(k); v != "" {
			q.Set(k, codeFingerprint(v))
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(q.Get(k)))
	}
	u.RawQuery = strings.Join(parts, "&")
	return u.String()
}

func requestURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.RequestURI()
}

func parseTime(s string) time.Time {
	t, _ := time.Parse("2006-01-02T15:04:05.000Z", s)
	return t
}

func fp(v string) string {
	if v == "" {
		return ""
	}
	return codeFingerprint(v)
}

// observe turns the HAR and the RP log into observations and gives each the
// capture frame where tshark saw the same request.
func (s *session) observe() []*observation {
	var obs []*observation
	callbackPrefixes := s.registered
	// pushed: the parameters the browser app pushed (RFC 9126), by the
	// request_uri the provider answered with
	pushed := map[string]url.Values{}
	for _, l := range s.rp.entries() {
		if l.Event == "par" && l.URI != "" {
			// what the server app pushed on the back channel (its log:
			// state, redirect_uri, and the challenge in Verifier)
			pushed[l.URI] = url.Values{"state": {l.State}, "redirect_uri": {l.RedirectURI}, "code_challenge": {l.Verifier},
				"pushed": {"back-channel"}}
		}
	}
	for i, e := range s.har.Log.Entries {
		ref := fmt.Sprintf("entries[%d]", i)
		u, _ := url.Parse(e.Request.URL)
		q := u.Query()
		if e.Request.Method == "GET" {
			// an authorize request by reference: its parameters are the
			// pushed ones (PAR) or a request object's claims (JAR)
			if p, ok := pushed[q.Get("request_uri")]; ok && q.Get("request_uri") != "" {
				q = p
			} else if p, ok := pushed[tabOfPage(s, e.Pageref)+" "+q.Get("client_id")]; ok && q.Get("request_uri") != "" {
				// the HAR lost the push's answer (the page navigated
				// before Chrome handed its body over, as DevTools' own
				// export loses it): the app's next authorize request in
				// the tab is the one it pushed for
				q = p
				delete(pushed, tabOfPage(s, e.Pageref)+" "+q.Get("client_id"))
			} else if ro := q.Get("request"); ro != "" {
				q = requestObjectClaims(ro)
			}
		}
		o := &observation{Channel: "browser", HAR: ref, Time: parseTime(e.StartedDateTime), Method: e.Request.Method,
			URL: redactQuery(e.Request.URL), Status: e.Response.Status, path: requestURI(e.Request.URL), Tab: tabOfPage(s, e.Pageref),
			BrowserError: e.Response.Error}
		base := u.Scheme + "://" + u.Host + u.Path
		switch {
		case base == s.op.AuthorizeURL && e.Request.Method == "GET":
			o.Kind, o.State, o.Challenge, o.RedirectURI = "authorize", q.Get("state"), q.Get("code_challenge"), q.Get("redirect_uri")
			if e.Response.Status >= 400 {
				o.Error, o.Description = errorOf(e.Response.Content.Text)
			}
			// an error sent back to the redirect URI (prompt=none's
			// login_required)
			if lu, err := url.Parse(e.Response.RedirectURL); err == nil && e.Response.RedirectURL != "" && lu.Query().Get("error") != "" {
				o.Error, o.Description = lu.Query().Get("error"), lu.Query().Get("error_description")
			}
			o.Prompt, o.Pushed = q.Get("prompt"), q.Get("pushed")
			for _, h := range e.Request.Headers {
				if strings.EqualFold(h.Name, "sec-fetch-dest") {
					o.SecFetchDest = h.Value
				}
			}
			for _, c := range e.Request.Cookies {
				o.CookiesSent = append(o.CookiesSent, c.Name)
			}
			for _, c := range e.Response.Cookies {
				o.SetsCookies = append(o.SetsCookies, c.Name)
			}
			obs = append(obs, o)
		case s.op.PARURL != "" && base == s.op.PARURL && e.Request.Method == "POST" && e.Request.PostData != nil:
			// a pushed authorization request: no step of its own, its
			// parameters are the authorize request's that names it
			var body struct {
				RequestURI string `json:"request_uri"`
			}
			f, _ := url.ParseQuery(e.Request.PostData.Text)
			if json.Unmarshal([]byte(e.Response.Content.Text), &body) == nil && body.RequestURI != "" {
				pushed[body.RequestURI] = f
			} else if e.Response.Status == 201 {
				pushed[o.Tab+" "+f.Get("client_id")] = f
			}
		case base == s.op.AuthorizeURL && e.Request.Method == "POST":
			// a login form posted back to the authorize endpoint (fosite):
			// not an OAuth step of its own, but it can issue the code
		case slices.ContainsFunc(callbackPrefixes, func(p string) bool { return base == p }) && q.Get("code") != "":
			o.Kind, o.State, o.rawCode, o.Code = "callback", q.Get("state"), q.Get("code"), fp(q.Get("code"))
			obs = append(obs, o)
		case slices.ContainsFunc(callbackPrefixes, func(p string) bool { return base == p }) && e.Request.Method == "POST" && e.Request.PostData != nil:
			f, _ := url.ParseQuery(e.Request.PostData.Text)
			if f.Get("code") != "" {
				o.Kind, o.State, o.rawCode, o.Code = "callback", f.Get("state"), f.Get("code"), fp(f.Get("code"))
				obs = append(obs, o)
			}
		case s.op.APIURL != "" && base == s.op.APIURL && e.Request.Method == "GET":
			// the app's call to a protected resource with its access token
			o.Kind = "api-call"
			for _, h := range e.Request.Headers {
				if t, ok := strings.CutPrefix(h.Value, "Bearer "); ok && strings.EqualFold(h.Name, "authorization") {
					o.AccessToken = fp(t)
				}
			}
			obs = append(obs, o)
		case base == s.op.TokenURL && e.Request.Method == "POST" && e.Request.PostData != nil:
			f, _ := url.ParseQuery(e.Request.PostData.Text)
			o.Kind, o.Grant, o.RedirectURI = "token-request", f.Get("grant_type"), f.Get("redirect_uri")
			o.rawCode, o.Code = f.Get("code"), fp(f.Get("code"))
			o.rawVerifier, o.Verifier = f.Get("code_verifier"), fp(f.Get("code_verifier"))
			o.rawRefresh, o.Refresh = f.Get("refresh_token"), fp(f.Get("refresh_token"))
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			_ = json.Unmarshal([]byte(e.Response.Content.Text), &body)
			o.Error, o.Description = body.Error, body.Description
			obs = append(obs, o)
		}
		// the provider's form_post page that carries the code; an issuance
		// is timed by the start of the request that issued it
		if m := formPostCode.FindStringSubmatch(e.Response.Content.Text); m != nil && e.Response.Status == 200 {
			st := formPostState.FindStringSubmatch(e.Response.Content.Text)
			c := &observation{Kind: "code-issued", Channel: "browser", HAR: ref, Time: parseTime(e.StartedDateTime),
				Method: e.Request.Method, URL: redactQuery(e.Request.URL), Status: e.Response.Status, path: requestURI(e.Request.URL), Tab: o.Tab,
				rawCode: html.UnescapeString(m[1]), Code: fp(html.UnescapeString(m[1]))}
			if st != nil {
				c.State = html.UnescapeString(st[1])
			}
			obs = append(obs, c)
		}
		// the provider's redirect that carries the code
		if loc := e.Response.RedirectURL; loc != "" {
			if lu, err := url.Parse(loc); err == nil && lu.Query().Get("code") != "" {
				c := &observation{Kind: "code-issued", Channel: "browser", HAR: ref, Time: parseTime(e.StartedDateTime),
					Method: e.Request.Method, URL: redactQuery(e.Request.URL), Status: e.Response.Status, path: requestURI(e.Request.URL), Tab: o.Tab,
					State: lu.Query().Get("state"), rawCode: lu.Query().Get("code"), Code: fp(lu.Query().Get("code"))}
				obs = append(obs, c)
			}
		}
	}
	for _, l := range s.rp.entries() {
		if l.Event == "callback-received" && s.scenario.Proxy && l.Code != "" {
			// behind the proxy, each delivery of the callback to an
			// instance is an exchange of its own (the server capture's)
			obs = append(obs, &observation{Kind: "callback", Channel: "proxy-to-app", Handler: l.Handler, Time: l.Time, Method: l.Method,
				URL: redactQuery(s.rp.origin + l.URI), rawCode: l.Code, Code: fp(l.Code), State: l.State, path: l.URI})
			continue
		}
		if l.Event != "token-request" {
			continue
		}
		o := &observation{Kind: "token-request", Channel: "back-channel", Time: l.Started, Method: "POST", URL: s.op.TokenURL,
			Status: l.Status, Grant: l.Grant, RedirectURI: l.RedirectURI, Error: l.Error, Description: l.Description, Handler: l.Handler,
			rawCode: l.Code, Code: fp(l.Code), rawVerifier: l.Verifier, Verifier: fp(l.Verifier), rawRefresh: l.Refresh, Refresh: fp(l.Refresh),
			path: requestURI(s.op.TokenURL)}
		obs = append(obs, o)
	}
	// capture refs
	s.captureRefs(obs, s.wire, func(o *observation, ref string) { o.PCAP = ref })
	serverSeen := obs
	if s.scenario.Proxy {
		// the proxy's backend side holds the proxy's own requests to the
		// instances, never the browser's
		serverSeen = nil
		for _, o := range obs {
			if o.Channel != "browser" {
				serverSeen = append(serverSeen, o)
			}
		}
	}
	s.captureRefs(serverSeen, s.wireServer, func(o *observation, ref string) { o.ServerPCAP = ref })
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Time.Before(obs[j].Time) })
	return obs
}

// requestObjectClaims are the string claims of a request object (JAR,
// RFC 9101) as parameters; the lab's are signed, never encrypted.
func requestObjectClaims(jwt string) url.Values {
	out := url.Values{}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return out
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return out
	}
	var claims map[string]any
	if json.Unmarshal(b, &claims) != nil {
		return out
	}
	for k, v := range claims {
		if s, ok := v.(string); ok {
			out.Set(k, s)
		}
	}
	return out
}

// captureRefs gives each observation the frame of a capture where tshark
// saw the same request.
func (s *session) captureRefs(obs []*observation, wire []wireRequest, set func(*observation, string)) {
	used := map[int]bool{}
	for _, o := range obs {
		for i, w := range wire {
			if used[i] || w.Method != o.Method || w.Path != o.path {
				continue
			}
			if o.Kind == "callback" && o.Method == "POST" && w.Form["code"] != o.rawCode {
				continue
			}
			if o.Kind == "token-request" {
				if (o.rawCode != "" && w.Form["code"] != o.rawCode) || (o.rawRefresh != "" && w.Form["refresh_token"] != o.rawRefresh) {
					continue
				}
				if (o.Channel == "back-channel") != strings.Contains(w.UserAgent, "traceaudit-lab-rp") {
					continue
				}
			}
			used[i] = true
			set(o, fmt.Sprintf("frame %d", w.Frame))
			break
		}
	}
}

var (
	formPostCode  = regexp.MustCompile(`name="code" value="([^"]*)"`)
	formPostState = regexp.MustCompile(`name="state" value="([^"]*)"`)
)

// errorOf reads a provider's error answer: OAuth JSON, or the text of an
// error page.
func errorOf(body string) (string, string) {
	var j struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal([]byte(body), &j) == nil && j.Error != "" {
		return j.Error, j.Description
	}
	text := strings.Join(strings.Fields(body), " ")
	if len(text) > 300 {
		text = text[:300]
	}
	return "", text
}

func tabOfPage(s *session, pageref string) string {
	// pages are created per tab in order; the recorder knows the mapping
	return s.chrome.har.tabOfPage(pageref)
}

func ev(o *observation) evidence {
	return evidence{Kind: o.Kind, BrowserError: o.BrowserError, ServerPCAP: o.ServerPCAP, Channel: o.Channel, Handler: o.Handler, HAR: o.HAR, PCAP: o.PCAP, Status: o.Status, Error: o.Error, Description: o.Description}
}

func (s *session) expectations() (*expectation, error) {
	sc := s.scenario
	obs := s.observe()
	for _, o := range obs {
		if sc.serverSide() && o.Channel == "back-channel" {
			// only the app server's capture has the back channel
			if o.ServerPCAP == "" {
				return nil, fmt.Errorf("no server capture frame found for %s %s", o.Kind, o.URL)
			}
			continue
		}
		if sc.serverSide() && o.Kind == "callback" && o.ServerPCAP == "" && !sc.Proxy {
			return nil, fmt.Errorf("no server capture frame found for the callback %s", o.URL)
		}
		if o.Channel == "proxy-to-app" {
			if o.ServerPCAP == "" {
				return nil, fmt.Errorf("no server capture frame found for the proxied callback (%s)", o.Handler)
			}
			continue
		}
		if o.PCAP == "" && o.Kind != "code-issued" {
			return nil, fmt.Errorf("no capture frame found for %s %s (%s)", o.Kind, o.URL, o.Channel)
		}
		if o.PCAP == "" {
			// the code-issuing redirect is the same request as a HAR entry
			for _, p := range obs {
				if p.HAR == o.HAR && p.PCAP != "" {
					o.PCAP = p.PCAP
				}
			}
		}
	}
	v := versions()
	if sc.Provider == "oidcprovider" {
		nodeVersions(v)
	}
	clientType := "confidential (client_secret, back-channel token request)"
	clientID := s.op.ClientID
	if strings.Contains(sc.Name, "spa") {
		clientType = "public browser app (PKCE, token request by fetch with CORS)"
		clientID = s.op.PublicClientID
	}
	exp := &expectation{
		Schema: 1, Scenario: sc.Name, Pending: sc.Pending, PendingSAZ: sc.PendingSAZ, Summary: sc.Summary, RecordedAt: s.started.Format(time.RFC3339),
		Provider: map[string]any{"name": s.op.Name, "module": s.op.Module, "version": v[s.op.Module], "issuer": s.op.Issuer,
			"authorize_endpoint": s.op.AuthorizeURL, "token_endpoint": s.op.TokenURL},
		RP:      map[string]any{"origin": s.rpEP.Origin(), "client_id": clientID, "client_type": clientType, "defects": describeDefects(sc)},
		Browser: s.chrome.version, Versions: v, Findings: []finding{}, May: sc.Allow,
	}
	if exp.May == nil {
		exp.May = []string{}
	}
	if s.op.CodeLifetime > 0 {
		exp.Provider["code_lifetime_seconds"] = s.op.CodeLifetime.Seconds()
	}
	if sc.Refresh || sc.SPA.Refresh {
		exp.Provider["refresh_token_lifetime_seconds"] = s.op.RefreshLifetime.Seconds()
	}
	for _, r := range allRules {
		if !slices.Contains(sc.Rules, r) && !slices.Contains(sc.Allow, r) {
			exp.MustNot = append(exp.MustNot, r)
		}
	}
	for _, o := range obs {
		exp.Events = append(exp.Events, *o)
	}
	if sc.Provider == "fosite" || sc.Provider == "gooauth2" || sc.Provider == "oidcprovider" {
		// the lab's own log lines around fosite: fingerprints only, no secrets
		for _, l := range strings.Split(strings.TrimSpace(s.opLog.String()), "\n") {
			if l != "" {
				exp.ProviderLog = append(exp.ProviderLog, stripPaths(l))
			}
		}
	}
	for _, rule := range sc.Rules {
		f, err := derive(rule, s, obs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rule, err)
		}
		f.Mechanism = sc.Mechanism[rule]
		exp.Findings = append(exp.Findings, *f)
	}
	if sc.serverSide() {
		exp.Case = caseOf(sc, exp)
		exp.ProxyLog = s.proxyLog
	}
	if sc.Overlap {
		issued, tokens := byKind(obs, "code-issued"), byKind(obs, "token-request")
		if len(issued) != 2 || len(tokens) != 2 {
			return nil, fmt.Errorf("overlap: want two codes issued and two redemptions, got %d and %d", len(issued), len(tokens))
		}
		var firstRedeemed *observation
		for _, t := range tokens {
			if t.rawCode == issued[0].rawCode {
				firstRedeemed = t
			}
		}
		if firstRedeemed == nil || !issued[1].Time.Before(firstRedeemed.Time) {
			return nil, fmt.Errorf("overlap: the second code was not issued before the first was redeemed")
		}
		exp.Notes = append(exp.Notes, fmt.Sprintf("sign-in #1's code (%s) was issued %.1f s before sign-in #2's (%s) and redeemed %.1f s after it; %s accepted both",
			issued[0].Code, issued[1].Time.Sub(issued[0].Time).Seconds(), issued[1].Code, firstRedeemed.Time.Sub(issued[1].Time).Seconds(), s.op.Name))
	}
	if sc.SPA.SilentRenew {
		// the recording is kept only when the browser did what the
		// scenario says: the frame's request sent the provider's session
		// cookie when third-party cookies were allowed, and none of the
		// provider's cookies when they were blocked
		var silent *observation
		for _, o := range byKind(obs, "authorize") {
			if o.Prompt == "none" {
				silent = o
			}
		}
		switch {
		case silent == nil:
			return nil, fmt.Errorf("silent renewal: no prompt=none authorize request in the HAR")
		case silent.SecFetchDest != "iframe":
			return nil, fmt.Errorf("silent renewal %s: Sec-Fetch-Dest %q, want iframe", silent.HAR, silent.SecFetchDest)
		case sc.ThirdPartyCookies == "block" && len(silent.CookiesSent) > 0:
			return nil, fmt.Errorf("silent renewal %s: third-party cookies blocked, yet it sent %v", silent.HAR, silent.CookiesSent)
		case sc.ThirdPartyCookies != "block" && !slices.Contains(silent.CookiesSent, "_session"):
			return nil, fmt.Errorf("silent renewal %s: third-party cookies allowed, yet it sent no _session cookie (sent %v)", silent.HAR, silent.CookiesSent)
		}
		sent := "none of the provider's cookies"
		if len(silent.CookiesSent) > 0 {
			sent = "the cookies " + strings.Join(silent.CookiesSent, ", ")
		}
		answer := "a code"
		if silent.Error != "" {
			answer = silent.Error
		}
		exp.Notes = append(exp.Notes, fmt.Sprintf("the silent renewal %s (prompt=none, Sec-Fetch-Dest: %s) sent %s; %s answered %s", silent.HAR, silent.SecFetchDest, sent, s.op.Name, answer))
	}
	if sc.OIDCProvider.DeviceFlow {
		var polls, pending int
		for _, o := range byKind(obs, "token-request") {
			if strings.HasSuffix(o.Grant, "device_code") {
				polls++
				if o.Error == "authorization_pending" {
					pending++
				}
			}
		}
		if pending == 0 {
			return nil, fmt.Errorf("device flow: no poll was answered authorization_pending (%d polls)", polls)
		}
		exp.Notes = append(exp.Notes, fmt.Sprintf("the device client polled the token endpoint %d times; %s answered %d of them 400 authorization_pending", polls, s.op.Name, pending))
	}
	expired := false
	if sc.OIDCProvider.DeviceCodeLifetime > 0 {
		// the story is the expiry: the last poll is refused expired_token,
		// and no rule is about it (the user did not finish in time)
		tokens := byKind(obs, "token-request")
		if len(tokens) == 0 || tokens[len(tokens)-1].Error != "expired_token" {
			return nil, fmt.Errorf("device flow: the last poll was not refused expired_token")
		}
		expired = true
	}
	if len(sc.Rules) == 0 && !expired {
		// a clean flow: every token request must have succeeded, but for
		// a device client's polls told to keep polling (RFC 8628 §3.5)
		for _, o := range obs {
			if o.Kind == "token-request" && o.Status != 200 && !(o.Error == "authorization_pending" || o.Error == "slow_down") {
				return nil, fmt.Errorf("clean scenario has a failed token request: %d %s", o.Status, o.Error)
			}
		}
	}
	return exp, nil
}

func describeDefects(sc *scenario) []string {
	var d []string
	if sc.Defects.RedeemTwice {
		d = append(d, "redeems each code twice (two code-received handlers)")
	}
	if sc.Defects.RedeemParallel {
		d = append(d, "sends two token requests for one code in parallel")
	}
	if sc.Defects.RenderAtCallback {
		d = append(d, "renders the result at the callback URL and never clears the transaction (reload redeems again)")
	}
	if sc.Defects.TokenRedirectURI != "" {
		d = append(d, "sends a different redirect_uri at the token endpoint: "+sc.Defects.TokenRedirectURI)
	}
	if sc.Defects.RedeemDelay > 0 {
		d = append(d, fmt.Sprintf("waits %s before redeeming the code", sc.Defects.RedeemDelay))
	}
	if sc.Defects.SharedStateCookie {
		d = append(d, "one state cookie for every sign-in (not per transaction)")
	}
	if sc.Defects.SharedVerifierCookie {
		d = append(d, "one PKCE verifier cookie for every sign-in (not per transaction)")
	}
	if sc.Defects.AuthorizeRedirectURI != "" {
		d = append(d, "sends an unregistered redirect_uri at authorize: "+sc.Defects.AuthorizeRedirectURI)
	}
	if sc.Defects.WrongSecret {
		d = append(d, "authenticates with a wrong client secret")
	}
	if sc.Defects.OmitVerifier {
		d = append(d, "omits code_verifier at the token endpoint")
	}
	if sc.Defects.FormPost {
		d = append(d, "asks for response_mode=form_post (not a defect)")
	}
	if sc.OIDCProvider.DeviceFlow {
		d = append(d, "a device client (rp-device, public) runs the device authorization grant on the back channel and polls the token endpoint every interval the provider names (not a defect)")
	}
	if sc.OIDCProvider.DeviceCodeLifetime > 0 {
		d = append(d, fmt.Sprintf("oidc-provider's ttl.DeviceCode is %s and the user never confirms the code (provider configuration and the user's doing, not an app defect)", sc.OIDCProvider.DeviceCodeLifetime))
	}
	if sc.SPA.PAR {
		d = append(d, "browser app pushes its authorize parameters by fetch (PAR, RFC 9126) and sends the browser to the authorize endpoint with client_id and request_uri alone (not a defect)")
	}
	if sc.Defects.PAR {
		d = append(d, "pushes its authorize parameters on the back channel (PAR, RFC 9126, with its client secret) and sends the browser to the authorize endpoint with client_id and request_uri alone (not a defect)")
	}
	if sc.Defects.RequestObject {
		d = append(d, "sends its authorize parameters in a request object (JAR, RFC 9101: HS256 with the client secret), the URL carrying client_id and request alone (not a defect)")
	}
	if sc.Defects.CallbackPath != "" {
		d = append(d, "redirect URI path "+sc.Defects.CallbackPath+" (not a defect)")
	}
	if sc.Defects.CookieSameSite != "" {
		d = append(d, "transaction cookies SameSite="+sc.Defects.CookieSameSite)
	}
	if sc.Defects.KeepOldRefreshToken {
		d = append(d, "keeps the first refresh token and ignores the rotated one")
	}
	if sc.SPA.Double {
		d = append(d, "browser app exchanges the code twice")
	}
	if sc.SPA.WrongVerifier {
		d = append(d, "browser app generates a new verifier at token time")
	}
	if sc.SPA.SharedStorage {
		d = append(d, "browser app keeps the verifier under one localStorage key shared by tabs")
	}
	if sc.SPA.SharedCodeSlot {
		d = append(d, fmt.Sprintf("browser app hands the code from its callback route to the app through one localStorage slot, read %d ms later", sc.SPA.SlotDelayMS))
	}
	if sc.SPA.KeepCallbackURL {
		d = append(d, "browser app leaves the callback URL in the address bar after the exchange (a reload exchanges again)")
	}
	if sc.SPA.RedeemDelayMS > 0 {
		d = append(d, fmt.Sprintf("browser app shows an interstitial for %d ms between the callback and the redemption", sc.SPA.RedeemDelayMS))
	}
	if sc.Defects.InstanceKeys {
		d = append(d, "each instance protects the transaction cookie with a key of its own (keys not shared between instances)")
	}
	if sc.Defects.Interstitial > 0 {
		d = append(d, fmt.Sprintf("answers the callback with an interstitial page and redeems the code only when it moves on, %s later", sc.Defects.Interstitial))
	}
	if sc.Defects.SlowFirstCallback > 0 {
		d = append(d, fmt.Sprintf("the first callback the app gets is answered %s after its redemption (a cold instance)", sc.Defects.SlowFirstCallback))
	}
	if sc.Proxy {
		if sc.ProxyKind == "haproxy" {
			d = append(d, fmt.Sprintf("runs as two instances behind HAProxy (timeout server %s, retry-on response-timeout, option redispatch; not a defect of the app)", proxyReadTimeout))
		} else {
			d = append(d, fmt.Sprintf("runs as two instances behind nginx (proxy_read_timeout %s, proxy_next_upstream error timeout non_idempotent; not a defect of the app)", proxyReadTimeout))
		}
	}
	if sc.GoOAuth2.NoCORS || sc.Fosite.NoCORS {
		d = append(d, "the provider's token endpoint sends no CORS headers (provider configuration, not an app defect)")
	}
	if sc.SPA.SilentRenew {
		d = append(d, "browser app renews silently after sign-in: authorize with prompt=none in a hidden iframe, the callback handed to the app by postMessage, the code redeemed by fetch (not a defect)")
	}
	if sc.OIDCProvider.SessionSameSiteNone {
		d = append(d, "oidc-provider's session cookie (cookies.long) is SameSite=None, Secure, so it may be sent in a third-party frame (provider configuration, not a defect)")
	}
	if sc.ThirdPartyCookies != "" {
		d = append(d, "third-party cookies set to "+sc.ThirdPartyCookies+" in the browser: "+thirdPartyCookiesSetting(sc.ThirdPartyCookies)+" (the user's setting, not an app defect)")
	}
	if sc.OIDCProvider.NoCORS {
		d = append(d, "oidc-provider's clientBasedCORS allows no origin of the browser app (provider configuration, not an app defect)")
	}
	if d == nil {
		d = []string{}
	}
	return d
}

func byKind(obs []*observation, kind string) []*observation {
	var out []*observation
	for _, o := range obs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func authorizeFor(obs []*observation, state string) *observation {
	for _, o := range obs {
		if o.Kind == "authorize" && o.State == state {
			return o
		}
	}
	return nil
}

func issuedFor(obs []*observation, rawCode string) *observation {
	for _, o := range obs {
		if o.Kind == "code-issued" && o.rawCode == rawCode {
			return o
		}
	}
	return nil
}

// derive builds the finding for rule from what the provider and the RP did,
// and refuses when the recording does not show the scenario's story.
func derive(rule string, s *session, obs []*observation) (*finding, error) {
	tokens := byKind(obs, "token-request")
	switch rule {
	case "code-reuse":
		count := map[string][]*observation{}
		for _, o := range obs {
			if (o.Kind == "token-request" && o.Grant == "authorization_code") || o.Kind == "callback" {
				count[o.rawCode] = append(count[o.rawCode], o)
			}
		}
		for code, list := range count {
			var redemptions, failed int
			var last *observation
			for _, o := range list {
				if o.Kind == "token-request" {
					redemptions++
					if o.Status != 200 {
						failed++
						last = o
					}
				}
			}
			if redemptions < 2 {
				continue
			}
			f := &finding{Rule: rule, Code: fp(code)}
			if is := issuedFor(obs, code); is != nil {
				f.Evidence = append(f.Evidence, ev(is))
			}
			for _, o := range list {
				f.Evidence = append(f.Evidence, ev(o))
			}
			detail := map[string]any{"redemptions": redemptions, "refused": failed}
			if last != nil {
				// what the user saw next: the app's API call with the
				// token of the first exchange, after the refusal
				for _, a := range byKind(obs, "api-call") {
					if a.Time.After(last.Time) && a.Status == 401 {
						f.Evidence = append(f.Evidence, ev(a))
						detail["api_after_refusal"] = map[string]any{"status": a.Status, "access_token": a.AccessToken,
							"note": s.op.Name + " revoked the tokens of the first exchange when the code came back"}
					}
				}
			}
			f.Detail = detail
			f.DerivedFrom = fmt.Sprintf("the RP/app sent this code to the token endpoint %d times (RP log and capture); %s", redemptions, refusal(s, last))
			return f, nil
		}
		return nil, fmt.Errorf("no code was redeemed twice")
	case "redirect-uri-mismatch":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil {
				continue
			}
			az := authorizeFor(obs, is.State)
			if az == nil || az.RedirectURI == t.RedirectURI {
				continue
			}
			if t.Status != 400 {
				return nil, fmt.Errorf("provider accepted the mismatching redirect_uri (status %d)", t.Status)
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(az), ev(is), ev(t)},
				Detail:      map[string]string{"authorize_redirect_uri": az.RedirectURI, "token_redirect_uri": t.RedirectURI},
				DerivedFrom: "redirect_uri differs between the authorize request and the token request; " + refusal(s, t)}, nil
		}
		for _, az := range byKind(obs, "authorize") {
			if az.Status < 400 {
				continue
			}
			return &finding{Rule: rule, Evidence: []evidence{ev(az)},
				Detail:      map[string]any{"authorize_redirect_uri": az.RedirectURI, "registered_redirect_uris": s.registered},
				DerivedFrom: fmt.Sprintf("the authorize request's redirect_uri is not registered for the client; %s refused it with %d and did not redirect back: %q", s.op.Name, az.Status, strings.TrimSpace(az.Error+" "+az.Description))}, nil
		}
		return nil, fmt.Errorf("no token request with a different redirect_uri and no refused authorize request")
	case "client-auth-failed":
		for _, t := range tokens {
			if t.Error != "invalid_client" && t.Status != 401 {
				continue
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(t)},
				DerivedFrom: "the RP authenticated with a client secret that is not the client's; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no token request refused for client authentication")
	case "pkce-missing":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil || t.rawVerifier != "" {
				continue
			}
			az := authorizeFor(obs, is.State)
			if az == nil || az.Challenge == "" {
				continue
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(az), ev(is), ev(t)},
				DerivedFrom: "the authorize request carried a code_challenge but the token request has no code_verifier; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no token request without the verifier its authorize request promised")
	case "state-mismatch":
		if len(byKind(obs, "authorize")) != 1 {
			return nil, fmt.Errorf("want exactly one authorize request")
		}
		for _, l := range s.rp.entries() {
			if l.Event != "state-missing" && l.Event != "state-mismatch" && l.Event != "correlation-failed" {
				continue
			}
			f := &finding{Rule: rule, Code: fp(l.Code)}
			if az := authorizeFor(obs, l.State); az != nil {
				f.Evidence = append(f.Evidence, ev(az))
			}
			if is := issuedFor(obs, l.Code); is != nil {
				f.Evidence = append(f.Evidence, ev(is))
			}
			for _, c := range byKind(obs, "callback") {
				if c.rawCode == l.Code {
					f.Evidence = append(f.Evidence, ev(c))
				}
			}
			for _, c := range byKind(obs, "callback") {
				if c.Channel == "proxy-to-app" && c.rawCode == l.Code && l.Event == "correlation-failed" {
					f.DerivedFrom = "the RP's log: " + l.Handler + " got the callback but could not read its transaction cookie, which the instance that served /login had protected with its own key (keys not shared between the instances behind the proxy; see proxy_log for which instance served what), so it refused the callback and never redeemed the code"
					return f, nil
				}
			}
			f.DerivedFrom = "the RP's log: the callback's state has no transaction cookie in this browser (" + l.Event + "), so the RP refused it and never redeemed the code; the cookie was set with SameSite=" + cmp.Or(s.scenario.Defects.CookieSameSite, "Lax") + " and the callback is a cross-site " + callbackMethod(s.scenario)
			return f, nil
		}
		return nil, fmt.Errorf("the RP logged no state failure")
	case "code-expired":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil || t.Status == 200 {
				continue
			}
			delay := t.Time.Sub(is.Time)
			if delay <= s.op.CodeLifetime {
				return nil, fmt.Errorf("code redeemed after %s, within the %s lifetime", delay, s.op.CodeLifetime)
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(is), ev(t)},
				Detail:      expiryDetail(obs, is, t, s.op.CodeLifetime),
				DerivedFrom: fmt.Sprintf("the code was redeemed %.1f s after the provider issued it, past its configured %s lifetime; %s", delay.Seconds(), s.op.CodeLifetime, refusal(s, t))}, nil
		}
		return nil, fmt.Errorf("no late, refused redemption")
	case "multi-tab-race":
		az := byKind(obs, "authorize")
		if len(az) < 2 || az[0].State == az[1].State {
			return nil, fmt.Errorf("want two authorize requests with different states, got %d", len(az))
		}
		cbs := byKind(obs, "callback")
		if len(cbs) == 0 {
			return nil, fmt.Errorf("no callback")
		}
		first := cbs[0]
		if !first.Time.After(az[1].Time) {
			return nil, fmt.Errorf("second sign-in started after the first callback")
		}
		f := &finding{Rule: rule, Code: first.Code, Evidence: []evidence{ev(az[0]), ev(az[1])}}
		if is := issuedFor(obs, first.rawCode); is != nil {
			f.Evidence = append(f.Evidence, ev(is))
		}
		f.Evidence = append(f.Evidence, ev(first))
		detail := map[string]any{"tab_a_state": az[0].State, "tab_b_state": az[1].State}
		f.DerivedFrom = "two sign-ins started in one browser before the first callback; "
		var redeemed *observation
		for _, t := range tokens {
			if t.rawCode == first.rawCode {
				redeemed = t
			}
		}
		if redeemed == nil {
			if twice := crossedCode(obs, cbs); twice != nil {
				// the shared-slot story: tab A's code never reached the
				// token endpoint, tab B's code went there twice
				second := cbs[1]
				if is := issuedFor(obs, second.rawCode); is != nil {
					f.Evidence = append(f.Evidence, ev(is))
				}
				f.Evidence = append(f.Evidence, ev(second))
				var last *observation
				for _, t := range tokens {
					if t.rawCode == twice.rawCode {
						f.Evidence = append(f.Evidence, ev(t))
						if t.Status != 200 {
							last = t
						}
					}
				}
				f.Code = twice.Code
				detail["never_redeemed"] = first.Code
				detail["redeemed_twice"] = twice.Code
				f.Detail = detail
				f.DerivedFrom += "both tabs' callbacks handed their code to the app through one storage slot: tab A's code " + first.Code +
					" was never redeemed, tab B's code " + twice.Code + " was redeemed by both tabs; " + refusal(s, last)
				return f, nil
			}
			f.DerivedFrom += "the RP refused tab A's callback (its log: state mismatch) and never redeemed tab A's code"
			if !slices.ContainsFunc(s.rp.entries(), func(e rpLogEntry) bool { return e.Event == "state-mismatch" && e.Code == first.rawCode }) {
				return nil, fmt.Errorf("tab A's code was neither redeemed nor refused by the RP")
			}
		} else {
			f.Evidence = append(f.Evidence, ev(redeemed))
			if s256(redeemed.rawVerifier) == az[0].Challenge {
				return nil, fmt.Errorf("tab A redeemed with its own verifier")
			}
			if s256(redeemed.rawVerifier) == az[1].Challenge {
				detail["verifier_matches"] = "the code_challenge of the second authorize request (" + az[1].HAR + ")"
			}
			f.DerivedFrom += "tab A's code was redeemed with tab B's PKCE verifier; " + refusal(s, redeemed)
		}
		f.Detail = detail
		return f, nil
	case "interaction-required":
		// a silent renewal in a frame answered login_required, sent
		// without the session cookie an earlier top-level sign-in at the
		// same provider had set
		for _, a := range byKind(obs, "authorize") {
			if a.Prompt != "none" || a.SecFetchDest != "iframe" || (a.Error != "login_required" && a.Error != "interaction_required") {
				continue
			}
			var top *observation
			for _, o := range obs {
				if o.Kind == "authorize" && o.SecFetchDest != "iframe" && o.Time.Before(a.Time) && top == nil {
					top = o
				}
			}
			session := ""
			for i, e := range s.har.Log.Entries {
				for _, c := range e.Response.Cookies {
					if c.Name == "_session" && session == "" && strings.HasPrefix(e.Request.URL, s.op.Issuer) && parseTime(e.StartedDateTime).Before(a.Time) {
						session = fmt.Sprintf("entries[%d]", i)
					}
				}
			}
			if top == nil || session == "" {
				return nil, fmt.Errorf("silent renewal %s: no earlier top-level authorize or no session cookie set", a.HAR)
			}
			if slices.Contains(a.CookiesSent, "_session") {
				return nil, fmt.Errorf("silent renewal %s sent the session cookie: no third-party cookie block", a.HAR)
			}
			f := &finding{Rule: rule, Evidence: []evidence{ev(top), ev(a)}}
			answer := ""
			for _, l := range strings.Split(s.opLog.String(), "\n") {
				if strings.Contains(l, "authorize rejected") && strings.Contains(l, a.Error) {
					answer = "; the provider logged: " + stripPaths(strings.TrimSpace(l))
				}
			}
			f.Detail = map[string]any{"session_cookie_set": session, "silent_cookies_sent": a.CookiesSent, "sec_fetch_dest": a.SecFetchDest, "prompt": a.Prompt,
				"third_party_cookies": thirdPartyCookiesSetting(s.scenario.ThirdPartyCookies)}
			f.DerivedFrom = fmt.Sprintf("the top-level sign-in at %s got oidc-provider's session cookie (_session set at %s); the silent renewal in the hidden iframe (prompt=none, Sec-Fetch-Dest: iframe) sent none of the provider's cookies and was answered %s%s",
				s.op.Issuer, session, a.Error, answer)
			return f, nil
		}
		return nil, fmt.Errorf("no silent renewal answered login_required")
	case "spa-cross-origin":
		for _, t := range tokens {
			if t.Channel != "browser" || t.BrowserError == "" {
				continue
			}
			f := &finding{Rule: rule, Code: t.Code, Evidence: []evidence{}}
			if is := issuedFor(obs, t.rawCode); is != nil {
				f.Evidence = append(f.Evidence, ev(is))
			}
			f.Evidence = append(f.Evidence, ev(t))
			answer := "the provider's log shows no answer"
			for _, l := range strings.Split(s.opLog.String(), "\n") {
				if (strings.Contains(l, "token answered") || strings.Contains(l, "token issued")) && strings.Contains(l, t.Code) {
					answer = "the provider logged: " + stripPaths(strings.TrimSpace(l))
				}
			}
			for _, w := range s.wire {
				if fmt.Sprintf("frame %d", w.Frame) == t.PCAP && w.Status != 0 {
					answer += fmt.Sprintf("; the capture holds its answer, status %d", w.Status)
				}
			}
			f.Detail = map[string]any{"browser_error": t.BrowserError, "cors": "the token endpoint's answer carries no Access-Control-Allow-Origin"}
			f.DerivedFrom = "the browser app's fetch to the token endpoint failed in the page (" + t.BrowserError + "); the request reached the provider: " + answer
			return f, nil
		}
		return nil, fmt.Errorf("no failed browser token request")
	case "pkce-mismatch":
		for _, t := range tokens {
			is := issuedFor(obs, t.rawCode)
			if is == nil {
				continue
			}
			az := authorizeFor(obs, is.State)
			if az == nil || az.Challenge == "" || s256(t.rawVerifier) == az.Challenge {
				continue
			}
			return &finding{Rule: rule, Code: t.Code, Evidence: []evidence{ev(az), ev(is), ev(t)},
				DerivedFrom: "base64url(SHA-256(code_verifier)) of the token request differs from the authorize request's code_challenge; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no token request with a mismatching verifier")
	case "refresh-token-expired":
		for _, t := range tokens {
			if t.Grant != "refresh_token" || t.Status == 200 {
				continue
			}
			var earlier *observation
			for _, u := range tokens {
				if u != t && u.Grant == "refresh_token" && u.rawRefresh == t.rawRefresh && u.Time.Before(t.Time) {
					earlier = u
				}
			}
			if earlier != nil {
				return &finding{Rule: rule, RefreshToken: t.Refresh, Evidence: []evidence{ev(earlier), ev(t)},
					Detail:      map[string]any{"reused_after_rotation": true},
					DerivedFrom: "the refresh token had already been redeemed (and rotated) by an earlier refresh; the RP sent the old one again; " + refusal(s, t)}, nil
			}
			return &finding{Rule: rule, RefreshToken: t.Refresh, Evidence: []evidence{ev(t)},
				Detail:      map[string]any{"provider_lifetime_seconds": s.op.RefreshLifetime.Seconds()},
				DerivedFrom: "the refresh token was redeemed after its configured lifetime; " + refusal(s, t)}, nil
		}
		return nil, fmt.Errorf("no refused refresh request")
	}
	return nil, fmt.Errorf("no derivation for rule %s", rule)
}

func callbackMethod(sc *scenario) string {
	if sc.Defects.FormPost {
		return "POST (form_post)"
	}
	return "GET redirect"
}

func roundSeconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func refusal(s *session, o *observation) string {
	if o == nil {
		return s.op.Name + " accepted every request"
	}
	return fmt.Sprintf("%s answered %d %s %q", s.op.Name, o.Status, o.Error, o.Description)
}

// goFilePath matches the absolute source paths in a Go stack trace
// (fosite's errors carry one); they name the recording machine, so only the
// module-relative part is kept.
var goFilePath = regexp.MustCompile(`(?:/[^/\s"\\]+)+/(pkg/mod/|src/|testdata/lab/)`)

func stripPaths(line string) string {
	return goFilePath.ReplaceAllString(line, "$1")
}

// crossedCode is the code of another callback that was redeemed at least
// twice while the first callback's code was never redeemed.
func crossedCode(obs []*observation, cbs []*observation) *observation {
	if len(cbs) < 2 {
		return nil
	}
	for _, c := range cbs[1:] {
		n := 0
		for _, t := range byKind(obs, "token-request") {
			if t.rawCode == c.rawCode {
				n++
			}
		}
		if n >= 2 && c.rawCode != cbs[0].rawCode {
			return c
		}
	}
	return nil
}

func expiryDetail(obs []*observation, is, t *observation, lifetime time.Duration) map[string]any {
	d := map[string]any{"seconds_after_issue": roundSeconds(t.Time.Sub(is.Time)), "provider_lifetime_seconds": lifetime.Seconds()}
	for _, c := range byKind(obs, "callback") {
		if c.rawCode == t.rawCode {
			d["seconds_callback_to_redemption"] = roundSeconds(t.Time.Sub(c.Time))
		}
	}
	return d
}

// caseSpec is what `scan --case` over all of a scenario's traces must give:
// the files of the incident, the findings with evidence cited from several
// files, and what each file alone can prove.
type caseSpec struct {
	Pending  string        `json:"pending,omitempty"`
	Inputs   []caseInput   `json:"inputs"`
	Findings []caseFinding `json:"findings"`
	// Alone lists, per file, the expected rules whose every piece of
	// evidence is in that file: what a single-file scan can prove.
	Alone map[string][]string `json:"alone"`
}

type caseInput struct {
	File  string `json:"file"`
	Lane  string `json:"lane"` // browser, server, proxy
	Holds string `json:"holds"`
	// SameAs names the other forms of the same trace.
	SameAs string `json:"same_as,omitempty"`
}

type caseRef struct {
	File    string `json:"file"`
	Ref     string `json:"ref"`
	Kind    string `json:"kind"`
	Channel string `json:"channel"`
	Handler string `json:"rp_handler,omitempty"`
	Status  int    `json:"status,omitempty"`
	Error   string `json:"error,omitempty"`
}

type caseFinding struct {
	Rule      string    `json:"rule"`
	Code      string    `json:"code,omitempty"`
	Mechanism string    `json:"mechanism,omitempty"`
	Evidence  []caseRef `json:"evidence"`
}

func caseOf(sc *scenario, exp *expectation) *caseSpec {
	lane, holds := "server", "the app server's side: the callbacks it received and its back-channel calls to the provider (keys: keys-server.log, the app's own)"
	if sc.Proxy {
		lane, holds = "proxy", "the proxy host's backend side: every request nginx passed to an app instance (plain HTTP) and the instances' back-channel calls to the provider (keys: keys-server.log, the instances')"
	}
	c := &caseSpec{
		Pending: sc.CasePending,
		Inputs: []caseInput{
			{File: "trace.har", Lane: "browser", Holds: "the browser's requests (Chrome DevTools Protocol)"},
			{File: "capture-server-dsb.pcapng", Lane: lane, Holds: holds, SameAs: "capture-server.pcap with keys-server.log"},
		},
		Alone: map[string][]string{"trace.har": {}, "capture-dsb.pcapng": {}, "capture-server-dsb.pcapng": {}},
	}
	for _, f := range exp.Findings {
		cf := caseFinding{Rule: f.Rule, Code: f.Code, Mechanism: f.Mechanism}
		complete := map[string]bool{"trace.har": true, "capture-dsb.pcapng": true, "capture-server-dsb.pcapng": true}
		delivered := map[string]bool{}
		for _, e := range f.Evidence {
			r := caseRef{Kind: e.Kind, Channel: e.Channel, Handler: e.Handler, Status: e.Status, Error: e.Error}
			if e.HAR != "" {
				r.File, r.Ref = "trace.har", e.HAR
				cf.Evidence = append(cf.Evidence, r)
			}
			if e.ServerPCAP != "" {
				// the same exchange seen by the server: both refs stay
				r.File, r.Ref = "capture-server-dsb.pcapng", e.ServerPCAP
				cf.Evidence = append(cf.Evidence, r)
			}
			if e.HAR == "" && e.ServerPCAP == "" && e.PCAP != "" {
				r.File, r.Ref = "capture-dsb.pcapng", e.PCAP
				cf.Evidence = append(cf.Evidence, r)
			}
			if f.Rule != "code-reuse" && (e.Channel == "browser" || e.Channel == "proxy-to-app") {
				// other findings need the browser's side of the story, and
				// what the proxy passed to which instance when the
				// evidence names it
				complete["trace.har"] = complete["trace.har"] && e.HAR != ""
				complete["capture-dsb.pcapng"] = complete["capture-dsb.pcapng"] && e.PCAP != ""
				complete["capture-server-dsb.pcapng"] = complete["capture-server-dsb.pcapng"] && e.ServerPCAP != ""
			}
			if e.Kind == "token-request" {
				// a file proves the finding when it holds every redemption
				// and a delivery of the code
				complete["trace.har"] = complete["trace.har"] && e.HAR != ""
				complete["capture-dsb.pcapng"] = complete["capture-dsb.pcapng"] && e.PCAP != ""
				complete["capture-server-dsb.pcapng"] = complete["capture-server-dsb.pcapng"] && e.ServerPCAP != ""
			}
			if e.Kind == "callback" {
				delivered["trace.har"] = delivered["trace.har"] || e.HAR != ""
				delivered["capture-dsb.pcapng"] = delivered["capture-dsb.pcapng"] || e.PCAP != ""
				delivered["capture-server-dsb.pcapng"] = delivered["capture-server-dsb.pcapng"] || e.ServerPCAP != ""
			}
		}
		for _, file := range []string{"trace.har", "capture-dsb.pcapng", "capture-server-dsb.pcapng"} {
			if complete[file] && delivered[file] {
				c.Alone[file] = append(c.Alone[file], f.Rule)
			}
		}
		c.Findings = append(c.Findings, cf)
	}
	return c
}
