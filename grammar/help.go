package grammar

// Help strings shared by many definitions (FRR's SHOW_STR, NO_STR, IP_STR): the
// same token reads the same everywhere.
const (
	ShowStr         = "Show running system information"
	NoStr           = "Negate a command or set its defaults"
	IPStr           = "Internet Protocol (IP)"
	IPv6Str         = "Internet Protocol version 6 (IPv6)"
	IPInfoStr       = "IPv4 information" // show ip ...
	IPv6InfoStr     = "IPv6 information" // show ipv6 ...
	ACLsStr         = "List access lists"
	ACLNameStr      = "Access list name"
	ExtendedStr     = "Extended access list"
	SeqStr          = "Sequence number"
	SeqDeleteStr    = "Sequence number to delete"
	ConfigureStr    = "Enter configuration mode"
	ExitExecStr     = "Exit from the EXEC"
	RunningStr      = "Current operating configuration"
	CopyStr         = "Copy from one file to another"
	CopyRunningStr  = "Copy from current system configuration"
	MgmtStr         = "Management interface"
	MgmtNumStr      = "Management interface number"
	InboundStr      = "Inbound packets"
	RemarkStr       = "Access list entry comment"
	PipeStr         = "Output modifiers"
	TCPStr          = "Transmission Control Protocol"
	UDPStr          = "User Datagram Protocol"
	ICMPStr         = "Internet Control Message Protocol"
	ICMP6Str        = "Internet Control Message Protocol for IPv6"
	ProtoNumStr     = "Protocol number"
	AnyAddrStr      = "Any address"
	HostStr         = "A single host"
	HostAddrStr     = "Host address"
	PrefixStr       = "Network prefix"
	ConfigureACLStr = "Configure an access list"
	DeleteACLStr    = "Delete an access list"
	TerminalStr     = "Set terminal line parameters"
)
