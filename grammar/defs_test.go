package grammar_test

// The definitions are package cli's, each beside the value it builds: this
// test binary links them (cli registers them with grammar.Define), so that
// the package's tests parse with them and the generator of cli/defs_gen.go
// (TestDefsGenerated) compiles them.
import _ "github.com/aclsh/aclsh/cli"
