package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// allowedHTML lists the tags and attributes the HTML writer itself emits.
// Anything else in its output came from the data.
var (
	allowedTags = map[string]bool{
		"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true,
		"header": true, "footer": true, "section": true, "article": true, "h1": true, "h2": true,
		"h3": true, "p": true, "code": true, "span": true, "small": true, "strong": true, "br": true,
		"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
		"ul": true, "li": true, "div": true, "input": true, "label": true, "a": true,
		"details": true, "summary": true,
	}
	allowedAttrs = map[string]bool{
		"lang": true, "charset": true, "http-equiv": true, "content": true, "name": true,
		"class": true, "id": true, "href": true, "type": true, "for": true,
		"title": true, // a lane's tooltip: text only, escaped by html/template
	}
)

// htmlProblems tokenizes out as a browser would and lists what could run
// or load: unknown tags (script, img, iframe...), unknown attributes (event
// handlers, style, src), links that leave the page, and a missing or weak
// Content-Security-Policy.
func htmlProblems(out []byte) []string {
	var problems []string
	var csp []string
	z := html.NewTokenizer(bytes.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				problems = append(problems, "tokenizer: "+z.Err().Error())
			}
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedTags[tok.Data] {
			problems = append(problems, fmt.Sprintf("tag <%s>", tok.Data))
		}
		for _, a := range tok.Attr {
			if !allowedAttrs[a.Key] {
				problems = append(problems, fmt.Sprintf("attribute %s=%q on <%s>", a.Key, a.Val, tok.Data))
			}
			if a.Key == "href" && !strings.HasPrefix(a.Val, "#") {
				problems = append(problems, fmt.Sprintf("link leaves the page: href=%q", a.Val))
			}
			if a.Key == "http-equiv" && strings.EqualFold(a.Val, "content-security-policy") {
				for _, b := range tok.Attr {
					if b.Key == "content" {
						csp = append(csp, b.Val)
					}
				}
			}
		}
	}
	if bytes.Contains(out, []byte("<html")) {
		switch {
		case len(csp) != 1:
			problems = append(problems, fmt.Sprintf("%d Content-Security-Policy metas, want 1", len(csp)))
		case !strings.Contains(csp[0], "default-src 'none'") || strings.Contains(csp[0], "unsafe") ||
			strings.Contains(csp[0], "script-src"):
			problems = append(problems, "weak Content-Security-Policy: "+csp[0])
		}
	}
	return problems
}
