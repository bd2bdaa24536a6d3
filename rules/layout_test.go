package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// analysisFiles hold what rules share: the analysis, its helpers and the
// Rule/Finding types. Every other file is one rule's and may call only
// these (and itself).
var analysisFiles = map[string]bool{
	"analysis.go": true, "exchange.go": true, "shared.go": true, "story.go": true, "rule.go": true, "all.go": true, "validate.go": true,
	// Node web apps' libraries (MSAL Node, Auth.js, openid-client 6), read by
	// several rules; a stateless answer linked by the browser's navigation.
	"nodeapps.go": true, "navigation.go": true,
}

// TestRuleFilesReadOnTheirOwn: no rule file calls a function, or uses a
// type or variable, that another rule file declares (rule values listed in
// all.go aside), and the analysis files use nothing of a rule file but the
// Rule values: shared reasoning lives in the analysis.
func TestRuleFilesReadOnTheirOwn(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]*ast.File{}
	declaredIn := map[string]string{} // top-level name → file
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed[name] = f
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					declaredIn[d.Name.Name] = name
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						declaredIn[s.Name.Name] = name
					case *ast.ValueSpec:
						for _, n := range s.Names {
							declaredIn[n.Name] = name
						}
					}
				}
			}
		}
	}
	var bad []string
	for name, f := range parsed {
		seen := map[string]bool{}
		var visit func(n ast.Node) bool
		visit = func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				// x.Name: a field, method or other package's name, not ours.
				ast.Inspect(sel.X, visit)
				return false
			}
			id, ok := n.(*ast.Ident)
			if !ok || id.Obj != nil {
				return true // declared in this file (top level or local)
			}
			from, ok := declaredIn[id.Name]
			if !ok || from == name || analysisFiles[from] || seen[id.Name] {
				return true
			}
			if name == "all.go" && isRuleValue(parsed[from], id.Name) {
				return true // the list of rules names each rule's value
			}
			seen[id.Name] = true
			bad = append(bad, name+" uses "+id.Name+" of "+from)
			return true
		}
		ast.Inspect(f, visit)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

// isRuleValue reports whether name is a *Rule variable declared in f.
func isRuleValue(f *ast.File, name string) bool {
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name != name || i >= len(vs.Values) {
					continue
				}
				if u, ok := vs.Values[i].(*ast.UnaryExpr); ok {
					if c, ok := u.X.(*ast.CompositeLit); ok {
						if id, ok := c.Type.(*ast.Ident); ok && id.Name == "Rule" {
							return true
						}
					}
				}
			}
		}
	}
	return false
}
