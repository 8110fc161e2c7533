package labns

import "testing"

func TestOwner(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		pid          int
		ok           bool
	}{
		{"acl123-4d", "acl", 123, true},
		{"acls123-s4c", "acls", 123, true},
		{"acls123-s4c", "acl", 0, false}, // another prefix's
		{"aclsh-cmd-77", "aclsh-cmd-", 77, true},
		{"aclsh-cmd-77-boot2", "aclsh-cmd-", 77, true},
		{"aclsh-demo-9-dev", "aclsh-demo-", 9, true},
		{"aclsh-demo-dev", "aclsh-demo-", 0, false}, // no pid: never swept
		{"acl-1", "acl", 0, false},
		{"acl0-1", "acl", 0, false},
		{"acl012-1", "acl", 0, false},
		{"acl+12-1", "acl", 0, false},
		{"other", "acl", 0, false},
	} {
		pid, ok := Owner(tc.name, tc.prefix)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("Owner(%q, %q) = %d, %v, want %d, %v", tc.name, tc.prefix, pid, ok, tc.pid, tc.ok)
		}
	}
}
