package enforcer

import (
	"testing"

	"github.com/google/nftables/expr"
	"github.com/stretchr/testify/assert"

	"github.com/aclsh/aclsh/acl"
)

// TestLogRate: one packet per interval as an nftables rate, exact in the shortest
// unit the interval divides, else within 0.3% per week, for every interval.
func TestLogRate(t *testing.T) {
	for _, tc := range []struct {
		ms   uint32
		rate uint64
		unit string
	}{
		{0, 1, "second"}, // the default, 1000 ms
		{1, 1000, "second"},
		{250, 4, "second"},
		{1000, 1, "second"},
		{1500, 40, "minute"},
		{60000, 1, "minute"},
		{90000, 40, "hour"},
		{7, 86400000, "week"},
		{3600000, 1, "hour"},
		{11, 54981818, "week"},         // 604800000/11 = 54981818.18
		{3599999, 168, "week"},         // 168.00005 per week
		{1234567, 490, "week"},         // 489.89
		{86400000 / 1000, 1000, "day"}, // 86400 ms
	} {
		rate, unit, name := logRate(acl.LogInterval(tc.ms))
		assert.Equal(t, tc.rate, rate, "logRate(%d) rate", tc.ms)
		assert.Equal(t, tc.unit, name, "logRate(%d) unit", tc.ms)
		assert.Equal(t, map[string]expr.LimitTime{"second": expr.LimitTimeSecond, "minute": expr.LimitTimeMinute, "hour": expr.LimitTimeHour,
			"day": expr.LimitTimeDay, "week": expr.LimitTimeWeek}[name], unit)
	}
	for ms := uint32(1); ms <= uint32(acl.MaxLogInterval); ms += 997 {
		rate, unit, _ := logRate(acl.LogInterval(ms))
		got := float64(unit) * 1000 / float64(rate)
		assert.InEpsilon(t, float64(ms), got, 0.003, "logRate(%d) = %d per %d s", ms, rate, unit)
	}
}
