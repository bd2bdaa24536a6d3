package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/saz"
)

func (o *options) limits() model.Limits {
	return model.Limits{BodyBytes: o.bodyLimit, InflateBytes: o.inflateLimit, HeaderBytes: o.headerBytes,
		HeaderCount: o.headerLimit, JSONDepth: o.jsonDepth}.WithDefaults()
}

// skipBody says which response bodies not to decode: no analysis reads
// scripts, images or fonts, and the exchanges listing reads only the
// answers that can issue a secret by name (JSON, forms, plain text; see
// appendIssuedSecrets), none with --no-redact.
func (o *options) skipBody(mimeType string) bool {
	if o.cmd == "exchanges" {
		return o.noRedact || !mayIssueSecrets(mimeType)
	}
	return model.CarriesNoOAuth(mimeType)
}

// mayIssueSecrets reports the media types a token or session answer comes
// in.
func mayIssueSecrets(mimeType string) bool {
	mt := strings.ToLower(mimeType)
	return mt == "" || strings.Contains(mt, "json") || strings.Contains(mt, "x-www-form-urlencoded") || strings.HasPrefix(mt, "text/plain")
}

// skipResponse says, for scan and events, which other response bodies not
// to decode: those the OAuth extractor will not read (oauth.BodyGate, one
// per trace, learning as the reader goes). Where the gate was wrong (what
// a discovery document taught the extractor, exchanges met in another
// order), readExchanges sees the extractor read a skipped body and
// analyzeInput reads the trace again with wholeBodies. Nil when not
// skipping. Captures and SAZ: the HAR reader's bodies are not compressed,
// and skipping there would only save unescaping.
func (o *options) skipResponse() func(req *model.Request, resp *model.Response) bool {
	if o.wholeBodies || (o.cmd != "scan" && o.cmd != "events") {
		return nil
	}
	g := oauth.NewBodyGate()
	harvest := o.cmd == "events" && !o.noRedact
	return func(req *model.Request, resp *model.Response) bool {
		skip := !g.MayMatter(req, resp)
		if skip && harvest && resp != nil {
			// The listing's scrubber learns what answers issue
			// (appendIssuedSecrets).
			mt := resp.Body.MIMEType
			if mt == "" {
				mt = resp.Headers.Get("Content-Type")
			}
			skip = !mayIssueSecrets(mt)
		}
		return skip
	}
}

// newReader opens the reader for a sniffed input.
func newReader(oi *openedInput, o *options, env environment, keys *keyMaterial) (model.Reader, error) {
	switch oi.format {
	case model.FormatHAR:
		// readExchanges hands every exchange back (not on the tests'
		// reference path, nor for bundle and compare).
		reuse := (o.cmd == "scan" || o.cmd == "events" || o.cmd == "exchanges") && !env.keepAllExchanges
		// scan's readExchanges resolves the pages it left undecoded
		// (ResolveBody): most are a site's own, which no analysis reads.
		// Not on the tests' reference path, which decodes every page, nor
		// when reading a trace again whole.
		deferPages := o.cmd == "scan" && !o.wholeBodies && !env.keepAllExchanges
		return har.NewReader(oi.file, har.Options{Limits: o.limits(), SideFiles: os.DirFS(oi.dir), Name: oi.name,
			SkipBody: o.skipBody, PoisonReleased: env.poisonBodies, ReuseExchanges: reuse, DeferPages: deferPages})
	case model.FormatSAZ:
		opts := saz.Options{Password: o.password, Limits: o.limits(), Name: oi.name,
			MaxMembers: o.members, ArchiveInflateBytes: o.archiveBytes}
		if o.cmd == "scan" || o.cmd == "events" || o.cmd == "exchanges" {
			// As for captures: not for bundle's sanitized copy.
			opts.SkipBody = o.skipBody
			opts.SkipResponse = o.skipResponse()
		}
		return saz.NewReader(oi.file, oi.size, opts)
	case model.FormatPCAP:
		return newCaptureReader(oi, o, env, keys)
	}
	return nil, fmt.Errorf("%w", errUnknownFormat)
}
