// Package needs lets kernel tests ask for what they need: without it they skip,
// except under CI=true, where they fail (CI runs as root with everything
// installed, and a test must not pass there by skipping). Only tests import it.
package needs

import (
	"os"
	"os/exec"
	"testing"
)

// Root skips or fails the test unless it runs as root.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("kernel tests need root; CI runs as root")
	}
	t.Skip("kernel tests need root (they create network namespaces)")
}

// Program skips or fails the test unless path (Debian package pkg) is installed.
func Program(t testing.TB, path, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(path); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is needed (apt-get install %s); .ci/run installs it", path, pkg)
	}
	t.Skipf("%s not installed (apt-get install -y %s)", path, pkg)
}

// Python is Debian's python3 (not a pyenv one on PATH), which has the modules
// Debian's packages install.
const Python = "/usr/bin/python3"

// PythonModule skips or fails the test unless Debian's python3 imports module
// (Debian package pkg).
func PythonModule(t testing.TB, module, pkg string) {
	t.Helper()
	if exec.Command(Python, "-c", "import "+module).Run() == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("python module %s is needed (apt-get install %s); .ci/run installs it", module, pkg)
	}
	t.Skipf("python module %s not installed (apt-get install -y %s)", module, pkg)
}
