# The clients' own parsers (Debian's ansible: cisco.ios ios_acls, arista.eos
# eos_acls) on what aclsh shows: argv[1] is ios or eos, stdin what the module
# reads from the device (ios: show access-list, then show running-config |
# include ip(v6)* access-list|remark; eos: show running-config | section
# access-list). Prints the acls facts the module would gather, as JSON.
import json
import sys

which, data = sys.argv[1], sys.stdin.read()
facts = {"ansible_network_resources": {}}
if which == "ios":
    from ansible_collections.cisco.ios.plugins.module_utils.network.ios.facts.acls.acls import AclsFacts
else:
    from ansible_collections.arista.eos.plugins.module_utils.network.eos.facts.acls.acls import AclsFacts
AclsFacts(None).populate_facts(None, facts, data=data)
print(json.dumps(facts["ansible_network_resources"].get("acls"), indent=1, sort_keys=True))
