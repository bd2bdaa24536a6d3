package archtest

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/traceaudit/traceaudit"

// layer is what a package is; allowed lists the layers it may import from
// this module. Every package of the module must have a layer, so a new
// package is placed deliberately: add it to layerOf.
type layer string

const (
	model      layer = "model"     // secret, model, catalog, oauth: the trace model everything shares
	wire       layer = "httpwire"  // internal/httpwire, internal/bodypool: HTTP/1 parsing and buffer reuse shared by readers
	reader     layer = "reader"    // har, saz, pcap and their subpackages
	ruleLayer  layer = "rules"     // rules: checks over the model
	ruleTest   layer = "rulestest" // rules/rulestest: fixtures for rule tests
	reportL    layer = "report"    // report: every output format
	sanitizer  layer = "redact"    // redact: sanitized copies of HAR and SAZ
	comparer   layer = "compare"   // compare: a working trace's sign-ins against a failing one's
	incidentL  layer = "incident"  // incident: several traces of one incident merged (scan --case)
	leaf       layer = "leaf"      // self-contained helpers (secretscan, labexpect, hugebss)
	generator  layer = "generator" // test-data generators
	command    layer = "command"   // package main: the CLI and internal tools
	unassigned layer = "unassigned"
)

// readerFamilies are the trace readers. A reader's subpackages (pcap/tlsdec,
// pcap/etl) belong to its family and may import it; families never import
// each other.
var readerFamilies = []string{"har", "saz", "pcap"}

func layerOf(rel, name string) layer {
	switch {
	case name == "main":
		return command
	case modelRank(rel) >= 0:
		return model
	case rel == "internal/httpwire", rel == "internal/bodypool":
		return wire
	case rel == "rules":
		return ruleLayer
	case rel == "rules/rulestest":
		return ruleTest
	case rel == "report":
		return reportL
	case rel == "redact":
		return sanitizer
	case rel == "compare":
		return comparer
	case rel == "incident":
		return incidentL
	case rel == "internal/secretscan", rel == "internal/archtest", rel == "internal/labexpect", rel == "internal/hugebss":
		return leaf
	case strings.Contains(rel, "internal/") && (strings.HasSuffix(rel, "gen") || strings.Contains(rel, "hostile") ||
		strings.Contains(rel, "leakcorpus") || strings.Contains(rel, "har2saz")):
		return generator
	case family(rel) != "":
		return reader
	}
	return unassigned
}

// modelPackages are the model layer, lowest first: each may import only
// those before it.
var modelPackages = []string{"secret", "model", "catalog", "oauth"}

// modelRank is rel's place in modelPackages, or -1.
func modelRank(rel string) int { return slices.Index(modelPackages, rel) }

// family is the reader family a package belongs to, or "".
func family(rel string) string {
	for _, f := range readerFamilies {
		if rel == f || strings.HasPrefix(rel, f+"/") && !strings.Contains(rel, "/internal/") {
			return f
		}
	}
	return ""
}

// allowed says whether a package of layer from may import to (both
// module-relative), and why not when it may not.
func allowed(from layer, fromRel, to string) (bool, string) {
	toLayer := layerOf(to, "")
	switch from {
	case command:
		return true, ""
	case model:
		// A leaf is self-contained (secretscan's shapes back RedactURL); the
		// model's own packages import only those below them.
		if toLayer == model {
			return modelRank(to) < modelRank(fromRel), "a model package imports only those below it: " + strings.Join(modelPackages, " < ")
		}
		return toLayer == leaf, "the model imports only self-contained leaf helpers"
	case leaf:
		return false, "a leaf helper imports nothing from the module"
	case wire:
		// httpwire reads bodies into bodypool's buffers.
		return toLayer == model || fromRel == "internal/httpwire" && to == "internal/bodypool",
			"httpwire imports only the model and bodypool, bodypool only the model"
	case reader:
		if toLayer == reader {
			if family(to) == family(fromRel) {
				return true, ""
			}
			return false, "a reader never imports another reader"
		}
		return toLayer == model || toLayer == wire, "a reader imports only the model and httpwire"
	case ruleLayer:
		return toLayer == model, "rules read only the model"
	case ruleTest:
		return toLayer == model || toLayer == ruleLayer, "rulestest loads fixtures through the model, not a reader"
	case reportL:
		return toLayer == model, "report renders the wire model and imports no reader or rules"
	case sanitizer:
		return toLayer == model || toLayer == wire || toLayer == reader || toLayer == leaf,
			"redact rewrites traces; it neither runs rules nor renders reports"
	case comparer:
		return toLayer == model, "compare reads only the model"
	case incidentL:
		return toLayer == model, "incident reads only the model"
	case generator:
		return toLayer == model || toLayer == generator, "generators write test data from scratch"
	}
	return false, "unassigned package"
}

type pkg struct {
	rel, name, dir string
	imports        []string
	files          []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Name}}\t{{.Dir}}\t{{join .Imports \",\"}}\t{{join .GoFiles \",\"}}", module+"/...")
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 5 {
			t.Fatalf("go list line %q", sc.Text())
		}
		p := pkg{rel: strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/"), name: f[1], dir: f[2]}
		for _, imp := range strings.Split(f[3], ",") {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				p.imports = append(p.imports, rel)
			}
		}
		if f[4] != "" {
			p.files = strings.Split(f[4], ",")
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// TestImportRules fails with each import edge that breaks the layering.
func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		l := layerOf(p.rel, p.name)
		if l == unassigned {
			t.Errorf("%s: no layer; place it in internal/archtest.layerOf", p.rel)
			continue
		}
		for _, imp := range p.imports {
			if ok, why := allowed(l, p.rel, imp); !ok {
				t.Errorf("%s (%s) imports %s (%s): %s", p.rel, l, imp, layerOf(imp, ""), why)
			}
		}
	}
}

// TestLayering checks allowed itself on the edges it must refuse, so a
// loosened rule fails here.
func TestLayering(t *testing.T) {
	for _, e := range [][2]string{
		{"har", "saz"}, {"saz", "pcap"}, {"pcap/tlsdec", "har"}, {"pcap", "rules"}, {"har", "report"},
		{"rules", "har"}, {"rules", "report"}, {"report", "pcap"}, {"report", "rules"}, {"model", "har"}, {"oauth", "saz"},
		{"secret", "model"}, {"model", "oauth"}, {"model", "catalog"}, {"catalog", "oauth"},
		{"rules/rulestest", "har"},
	} {
		if ok, _ := allowed(layerOf(e[0], ""), e[0], e[1]); ok {
			t.Errorf("%s -> %s is allowed", e[0], e[1])
		}
	}
	for _, e := range [][2]string{{"pcap/tlsdec", "pcap"}, {"pcap", "pcap/etl"}, {"rules", "oauth"}, {"rules", "catalog"}, {"report", "model"},
		{"model", "secret"}, {"catalog", "model"}, {"oauth", "catalog"}, {"oauth", "secret"}} {
		if ok, why := allowed(layerOf(e[0], ""), e[0], e[1]); !ok {
			t.Errorf("%s -> %s is refused: %s", e[0], e[1], why)
		}
	}
}

// TestNoPrintingBelowMain: only package main writes to stdout or stderr,
// logs or exits; libraries return errors and notes.
func TestNoPrintingBelowMain(t *testing.T) {
	banned := map[string]map[string]bool{
		"fmt": {"Print": true, "Printf": true, "Println": true},
		"os":  {"Stdout": true, "Stderr": true, "Exit": true},
	}
	fset := token.NewFileSet()
	for _, p := range listPackages(t) {
		if p.name == "main" {
			continue
		}
		for _, name := range p.files {
			path := filepath.Join(p.dir, name)
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			local := map[string]string{} // local name -> import path
			for _, imp := range f.Imports {
				ip, _ := strconv.Unquote(imp.Path.Value)
				n := filepath.Base(ip)
				if imp.Name != nil {
					n = imp.Name.Name
				}
				local[n] = ip
				if ip == "log" || ip == "log/slog" {
					t.Errorf("%s: imports %s; libraries return errors and notes", rel(p, name, fset, imp.Pos()), ip)
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := x.X.(*ast.Ident); ok && banned[local[id.Name]][x.Sel.Name] {
						t.Errorf("%s: uses %s.%s; only package main prints or exits", rel(p, name, fset, x.Pos()), local[id.Name], x.Sel.Name)
					}
				case *ast.CallExpr:
					if id, ok := x.Fun.(*ast.Ident); ok && slices.Contains([]string{"print", "println"}, id.Name) && id.Obj == nil {
						t.Errorf("%s: calls builtin %s", rel(p, name, fset, x.Pos()), id.Name)
					}
				}
				return true
			})
		}
	}
}

func rel(p pkg, file string, fset *token.FileSet, pos token.Pos) string {
	return fmt.Sprintf("%s:%d", filepath.ToSlash(filepath.Join(p.rel, file)), fset.Position(pos).Line)
}
