package grammar

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A shared help string is written once, in help.go: no other file of the
// package, nor of package cli (where the definitions are), spells one out.
func TestHelpConstantsShared(t *testing.T) {
	fset := gotoken.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	cli, err := filepath.Glob("../cli/*.go")
	if err != nil || len(cli) == 0 {
		t.Fatal("no files in ../cli", err)
	}
	files = append(files, cli...)
	shared := map[string]string{} // value -> constant
	parsed := map[string]*ast.File{}
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed[name] = f
	}
	ast.Inspect(parsed["help.go"], func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					shared[s] = vs.Names[i].Name
				}
			}
		}
		return true
	})
	if len(shared) == 0 {
		t.Fatal("no constants in help.go")
	}
	for name, f := range parsed {
		if name == "help.go" || filepath.Base(name) == "defs_gen.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
				if s, _ := strconv.Unquote(lit.Value); shared[s] != "" {
					t.Errorf("%s: %s spells out %s", fset.Position(lit.Pos()), lit.Value, shared[s])
				}
			}
			return true
		})
	}
}
